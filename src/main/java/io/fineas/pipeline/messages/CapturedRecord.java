package io.fineas.pipeline.messages;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One capture of a source, on the data topic of its pipeline topic ({@code data-<topic>}, key: the source id):
 * published by the processors role, read by the RAG role's ingestion and analysis. The raw content as the source gave
 * it, with where it comes from (topic, segment and its generation, processor, run, the data list item) and what a
 * source kind adds: a feed entry's title, link, feed and publication time, a file's name; captured by the open
 * capture network, the nodes whose captures agreed (captured_by). Schema:
 * schemas/messages/captured-record.schema.json; docs/asyncapi.yaml.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CapturedRecord(
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("processor_id") String processorId,
        @JsonProperty("run_id") String runId,
        @JsonProperty("requested_by") String requestedBy,
        @JsonProperty("generation") String generation,
        @JsonProperty("parameters") Map<String, Object> parameters,
        @JsonProperty("source") Source source,
        @JsonProperty("captured_at") String capturedAt,
        @JsonProperty("content_type") String contentType,
        @JsonProperty("content_hash") String contentHash,
        @JsonProperty("title") String title,
        @JsonProperty("link") String link,
        @JsonProperty("published_at") String publishedAt,
        @JsonProperty("feed") String feed,
        @JsonProperty("file_name") String fileName,
        @JsonProperty("captured_by") java.util.List<String> capturedBy,
        @JsonProperty("content") String content) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The source kind (http, rss, file) and the source's identity within the topic (URL, entry link, path). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Source(@JsonProperty("kind") String kind, @JsonProperty("id") String id) {
    }

    /** What a source kind adds to a record; all null for an HTTP capture. */
    public record Extra(String title, String link, String publishedAt, String feed, String fileName) {
        public static final Extra NONE = new Extra(null, null, null, null, null);
    }

    public static CapturedRecord of(String topic, String segment, String processorId, String runId,
            String requestedBy, String generation, Map<String, Object> parameters, Source source, String capturedAt, String contentType,
            String contentHash, Extra extra, String content) {
        return new CapturedRecord(topic, segment, processorId, runId, requestedBy, generation, parameters, source, capturedAt,
                contentType, contentHash, extra.title(), extra.link(), extra.publishedAt(), extra.feed(),
                extra.fileName(), null, content);
    }

    /** The record as the open capture network settled it: the nodes whose captures agreed on its content. */
    public CapturedRecord withCapturedBy(java.util.List<String> nodes) {
        return new CapturedRecord(topic, segment, processorId, runId, requestedBy, generation, parameters, source,
                capturedAt, contentType, contentHash, title, link, publishedAt, feed, fileName,
                nodes == null ? null : java.util.List.copyOf(nodes), content);
    }

    /**
     * Whether two generations of a segment are the same for what was derived from them: equal, or one of them not
     * known (null: written before generations were kept, or a record that does not say).
     */
    public static boolean sameGeneration(String a, String b) {
        return a == null || b == null || a.equals(b);
    }

    /** The source id, or null when the record names none. */
    public String sourceId() {
        return source == null ? null : source.id();
    }

    /**
     * A record read from its topic. One that is not such a record (not JSON, no topic, segment, source id or content)
     * is refused with an IllegalArgumentException saying why.
     */
    public static CapturedRecord parse(String json) {
        CapturedRecord record;
        try {
            record = JSON.readValue(json, CapturedRecord.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a captured record: " + e.getOriginalMessage());
        }
        if (record == null || record.topic() == null || record.segment() == null || record.sourceId() == null
                || record.content() == null) {
            throw new IllegalArgumentException("not a captured record: topic, segment, source.id and content "
                    + "(a string) are required");
        }
        return record;
    }
}
