package io.fineas.pipeline.messages;

import java.io.Serializable;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A node's capture of a task, as the gateway accepted it (signature, assignment, lease, nonce, size and content hash
 * checked): Kafka topic node.submissions, key: the task id, so that every submission of a task meets its tally in
 * one consumer. The task travels with it (the agreement may see a submission before the task). Schema:
 * schemas/messages/node-submission.schema.json.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeSubmission(
        @JsonProperty("task") NodeTask task,
        @JsonProperty("node_id") String nodeId,
        @JsonProperty("operator") String operator,
        @JsonProperty("content_hash") String contentHash,
        @JsonProperty("captured_at") String capturedAt,
        @JsonProperty("received_at") String receivedAt,
        @JsonProperty("content_type") String contentType,
        @JsonProperty("nonce") String nonce,
        @JsonProperty("signature") String signature,
        @JsonProperty("content") String content) implements Serializable {
}
