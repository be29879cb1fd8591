package io.fineas.pipeline.rag;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A record as processors publish it on a data topic, read by the RAG services. One that is not such a record (not
 * JSON, no topic, segment or string content, no text) is refused with an IllegalArgumentException saying why.
 */
public record CapturedRecord(String topic, String segment, String sourceId, String text, Map<String, Object> fields) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static CapturedRecord parse(String json) {
        Map<String, Object> record;
        try {
            record = JSON.readValue(json, new TypeReference<>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON record: " + e.getOriginalMessage());
        }
        if (record == null || !(record.get("topic") instanceof String topic)
                || !(record.get("segment") instanceof String segment)
                || !(record.get("source") instanceof Map<?, ?> source) || !(source.get("id") instanceof String sourceId)
                || !(record.get("content") instanceof String content)) {
            throw new IllegalArgumentException("not a captured record: topic, segment, source.id and content "
                    + "(a string) are required");
        }
        String text = TextExtraction.text(content, (String) record.get("content_type"));
        if (text.isBlank()) {
            throw new IllegalArgumentException("the record has no text");
        }
        return new CapturedRecord(topic, segment, sourceId, text, record);
    }

    /** The generation of its segment the record was captured in (null when it carries none). */
    public String generation() {
        return fields.get("generation") instanceof String g ? g : null;
    }

    public Object get(String field) {
        return fields.get(field);
    }

    /** Where the record comes from, as every derived record (chunk, inference) carries it. */
    public Map<String, Object> provenance() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("topic", topic);
        p.put("segment", segment);
        p.put("source", sourceId);
        p.put("processor_id", fields.get("processor_id"));
        p.put("run_id", fields.get("run_id"));
        p.put("captured_at", fields.get("captured_at"));
        p.put("content_hash", fields.get("content_hash"));
        p.put("title", fields.get("title"));
        p.put("generation", fields.get("generation"));
        return p;
    }
}
