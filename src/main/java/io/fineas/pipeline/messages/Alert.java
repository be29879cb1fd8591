package io.fineas.pipeline.messages;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A collection run requested (one entry of a POST /collect, without its API key), on the Kafka topic {@code alert}
 * (key: the run id): published by the gateway, taken by every processor whose topic and segment it targets, and
 * recorded by the gateway as the run. Schema: schemas/messages/alert.schema.json; docs/asyncapi.yaml.
 *
 * @param topic a data topic, or {@link #ANY_TOPIC}: the segments under every topic that has them
 * @param requestedBy the id of the API key that requested the run (never the key), or null
 * @param scheduleEntry the schedule entry (its data collection file) when the scheduler requested it, or null
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Alert(
        @JsonProperty("run_id") String runId,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment_targets") List<String> segmentTargets,
        @JsonProperty("requested_at") String requestedAt,
        @JsonProperty("requested_by") String requestedBy,
        @JsonProperty("schedule_entry") String scheduleEntry) {

    /** The design's "any topic". */
    public static final String ANY_TOPIC = "alert";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether it targets a processor of this topic and segment. */
    public boolean targets(String processorTopic, String processorSegment) {
        return (processorTopic.equals(topic) || ANY_TOPIC.equals(topic)) && segmentTargets != null
                && segmentTargets.contains(processorSegment);
    }

    @JsonIgnore
    public Instant requested() {
        return Instant.parse(requestedAt);
    }

    /**
     * The alert in a record of the alert topic.
     *
     * @throws IllegalArgumentException saying what is wrong: not JSON, a field missing, a time that is not an instant
     */
    public static Alert parse(String json) {
        Alert alert;
        try {
            alert = json == null ? null : JSON.readValue(json, Alert.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the alert is not a JSON object of the alert's fields: "
                    + e.getOriginalMessage());
        }
        if (alert == null || alert.runId() == null || alert.topic() == null || alert.segmentTargets() == null
                || alert.requestedAt() == null) {
            throw new IllegalArgumentException("the alert lacks run_id, topic, segment_targets or requested_at");
        }
        try {
            alert.requested();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the alert's requested_at is not an ISO instant");
        }
        return alert;
    }
}
