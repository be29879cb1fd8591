package io.fineas.pipeline.messages;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An LLM analysis of one captured record, on the Kafka topic {@code inference} (key: the record's source id):
 * published by the RAG role's analysis, stored by it in the record's segment (one MongoDB document per source,
 * prompt template and model: {@code id}). Schema: schemas/messages/inference.schema.json; docs/asyncapi.yaml.
 * Fields a newer producer adds are ignored by an older consumer.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Inference(
        @JsonProperty("_id") String id,
        @JsonProperty("kind") String kind,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("source") String source,
        @JsonProperty("processor_id") String processorId,
        @JsonProperty("run_id") String runId,
        @JsonProperty("captured_at") String capturedAt,
        @JsonProperty("content_hash") String contentHash,
        @JsonProperty("title") String title,
        @JsonProperty("generation") String generation,
        @JsonProperty("model") String model,
        @JsonProperty("prompt_template") String promptTemplate,
        @JsonProperty("latency_ms") long latencyMs,
        @JsonProperty("usage") ModelUsage usage,
        @JsonProperty("inference") String inference,
        @JsonProperty("created_at") String createdAt) {

    public static final String KIND = "inference";
}
