package io.fineas.pipeline.messages;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A topic or segment deleted, on the Kafka topic {@code pipeline-events} (key: the topic): published by the gateway
 * once the delete is done, read by the RAG role to delete the vectors it derived. Schema:
 * schemas/messages/deletion-event.schema.json; docs/asyncapi.yaml.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeletionEvent(
        @JsonProperty("event") String event,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("deleted_at") String deletedAt,
        @JsonProperty("generation") String generation) {

    public static final String TOPIC_DELETED = "topic_deleted";
    public static final String SEGMENT_DELETED = "segment_deleted";

    public static DeletionEvent of(String topic, String segment, String deletedAt) {
        return of(topic, segment, deletedAt, null);
    }

    /**
     * @param generation the generation of the segment that was deleted: only what was derived for it is deleted (a
     *                   consumer that lags behind a delete and a re-create must not delete the new generation's data);
     *                   null for a topic, or a segment of before generations
     */
    public static DeletionEvent of(String topic, String segment, String deletedAt, String generation) {
        return new DeletionEvent(segment == null ? TOPIC_DELETED : SEGMENT_DELETED, topic, segment, deletedAt,
                generation == null || generation.isEmpty() ? null : generation);
    }

    /** A deletion this version knows how to act on (an event of a newer kind is passed over). */
    @JsonIgnore
    public boolean isDeletion() {
        return TOPIC_DELETED.equals(event) || SEGMENT_DELETED.equals(event);
    }
}
