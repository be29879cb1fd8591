package io.fineas.pipeline.messages;

import java.io.Serializable;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fineas.pipeline.network.Normaliser;

/**
 * One item of a network processor's run, to be captured by nodes (Kafka topic node.tasks, key: the task id):
 * published by the processors role, read by the gateway (which hands it to nodes) and by the agreement (which opens
 * its tally and its deadline). A node is given the task id, URL, item, normaliser, size cap and lease, never the rest
 * (GET /node/tasks); whether it is a canary is known to the pipeline alone. Schema:
 * schemas/messages/node-task.schema.json.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeTask(
        @JsonProperty("task_id") String taskId,
        @JsonProperty("processor_id") String processorId,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("run_id") String runId,
        @JsonProperty("requested_by") String requestedBy,
        @JsonProperty("generation") String generation,
        @JsonProperty("item") Map<String, Object> item,
        @JsonProperty("url") String url,
        @JsonProperty("replicas") int replicas,
        @JsonProperty("quorum") int quorum,
        @JsonProperty("dispatched_at") String dispatchedAt,
        @JsonProperty("deadline_at") long deadlineAt,
        @JsonProperty("lease_ms") long leaseMs,
        @JsonProperty("max_bytes") long maxBytes,
        @JsonProperty("normaliser") Normaliser normaliser,
        @JsonProperty("canary") boolean canary) implements Serializable {

    /** Milliseconds until the deadline (at least 1: the aggregator's completion timeout). */
    @JsonIgnore
    public long millisToDeadline() {
        return Math.max(1, deadlineAt - System.currentTimeMillis());
    }
}
