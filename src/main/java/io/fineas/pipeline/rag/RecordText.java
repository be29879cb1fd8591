package io.fineas.pipeline.rag;

import java.util.LinkedHashMap;
import java.util.Map;

import io.fineas.pipeline.messages.CapturedRecord;

/**
 * A captured record as the RAG services read it: the message and its text (HTML, JSON or plain content made text).
 * One that is not a captured record, or has no text, is refused with an IllegalArgumentException saying why.
 */
public record RecordText(CapturedRecord record, String text) {

    public static RecordText parse(String json) {
        CapturedRecord record = CapturedRecord.parse(json);
        String text = TextExtraction.text(record.content(), record.contentType());
        if (text.isBlank()) {
            throw new IllegalArgumentException("the record has no text");
        }
        return new RecordText(record, text);
    }

    /** Where the record comes from, as every chunk derived from it carries it in its metadata. */
    public Map<String, Object> provenance() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("topic", record.topic());
        p.put("segment", record.segment());
        p.put("source", record.sourceId());
        p.put("processor_id", record.processorId());
        p.put("run_id", record.runId());
        p.put("captured_at", record.capturedAt());
        p.put("content_hash", record.contentHash());
        p.put("title", record.title());
        p.put("generation", record.generation());
        p.put("source_kind", record.source().kind());
        p.put("parameters", record.parameters());
        return p;
    }
}
