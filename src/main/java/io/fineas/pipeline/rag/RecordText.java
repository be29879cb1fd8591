package io.fineas.pipeline.rag;

import java.util.LinkedHashMap;
import java.util.Map;

import io.fineas.pipeline.messages.CapturedRecord;

/**
 * A captured record as the RAG services read it: the message and its text (HTML, JSON or plain content made text).
 * One that is not a captured record, or has no text, is refused with an IllegalArgumentException saying why.
 */
public record RecordText(CapturedRecord record, String text) {

    /** The text read from a record when nothing else is said: about 700 chunks of the default size. */
    public static final int DEFAULT_MAX_TEXT_CHARS = 500_000;

    public static RecordText parse(String json) {
        return parse(json, DEFAULT_MAX_TEXT_CHARS);
    }

    /** @param maxTextChars the most text read from the record (RAG_MAX_TEXT_CHARS): the rest is not indexed */
    public static RecordText parse(String json, int maxTextChars) {
        CapturedRecord record = CapturedRecord.parse(json);
        String text = TextExtraction.text(record.content(), record.contentType(), maxTextChars);
        if (text.isBlank()) {
            throw new IllegalArgumentException("the record has no text");
        }
        return new RecordText(record, text);
    }

    /**
     * The record names the topic of the Kafka topic it came from: a record on {@code data-a} that says it belongs to
     * topic {@code b} (a producer with access to one data topic) would otherwise be stored and analysed as b's.
     *
     * @param kafkaTopic the Kafka topic it was read from; null when it was checked already (a resumed analysis)
     * @throws IllegalArgumentException saying both when they differ
     */
    public RecordText requireFrom(String kafkaTopic, String dataTopicPrefix) {
        if (kafkaTopic != null && !kafkaTopic.equals(dataTopicPrefix + record.topic())) {
            throw new IllegalArgumentException("the record names topic '" + record.topic() + "' but was read from "
                    + "the Kafka topic " + kafkaTopic);
        }
        return this;
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
        if (record.capturedBy() != null) {
            p.put("captured_by", record.capturedBy());
        }
        return p;
    }
}
