package io.fineas.pipeline.messages;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A task the network did not settle, or a canary a node failed (Kafka topic node.disputes, key: the task id): the
 * task, every submission it got (signed: the evidence against a node) and why. A task without quorum is captured by
 * a trusted processor; {@code trusted_hash} is what it found, when it could. Schema:
 * schemas/messages/node-dispute.schema.json.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeDispute(
        @JsonProperty("task") NodeTask task,
        @JsonProperty("reason") String reason,
        @JsonProperty("submissions") List<NodeSubmission> submissions,
        @JsonProperty("silent_nodes") List<String> silentNodes,
        @JsonProperty("at") String at) {
}
