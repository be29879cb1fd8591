package io.fineas.pipeline.messages;

import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The summary of one processor's part of a collection run, on the Kafka topic {@code run-status} (key: the run id):
 * published by the processors role when the run has finished, kept by the gateway on the run (GET /runs/{id}) and by
 * the processor's status (GET /processors). Schema: schemas/messages/run-summary.schema.json; docs/asyncapi.yaml.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunSummary(
        @JsonProperty("run_id") String runId,
        @JsonProperty("processor_id") String processorId,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("status") String status,
        @JsonProperty("items") int items,
        @JsonProperty("items_ok") int itemsOk,
        @JsonProperty("items_failed") int itemsFailed,
        @JsonProperty("records") int records,
        @JsonProperty("records_unchanged") int recordsUnchanged,
        @JsonProperty("started_at") String startedAt,
        @JsonProperty("finished_at") String finishedAt,
        @JsonProperty("duration_ms") long durationMs) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** succeeded (no item failed), failed (none captured) or partial. */
    public static String status(int itemsOk, int itemsFailed) {
        return itemsFailed == 0 ? "succeeded" : itemsOk == 0 ? "failed" : "partial";
    }

    /** As its JSON fields, in order: what a document storing it holds. */
    public Map<String, Object> fields() {
        return JSON.convertValue(this, new TypeReference<java.util.LinkedHashMap<String, Object>>() {
        });
    }
}
