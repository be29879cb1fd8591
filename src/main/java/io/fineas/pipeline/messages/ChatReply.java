package io.fineas.pipeline.messages;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The answer to a {@link ChatQuestion}, or why there is none, on the Kafka topic {@code chatbot-replies}: published by
 * the RAG role, read by every gateway instance (the one that asked answers its client). Schema:
 * schemas/messages/chat-reply.schema.json.
 *
 * @param error set (with {@code detail}) when the model could not be reached; then there is no answer
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatReply(
        @JsonProperty("correlation_id") String correlationId,
        @JsonProperty("answer") String answer,
        @JsonProperty("sources") List<Source> sources,
        @JsonProperty("model") String model,
        @JsonProperty("latency_ms") Long latencyMs,
        @JsonProperty("usage") ModelUsage usage,
        @JsonProperty("error") String error,
        @JsonProperty("detail") String detail) {

    /**
     * A passage the answer was given from, cited as [n]: its text ({@code chunk}), the chunk's id (the same as a
     * /search hit's), and the collection run and time that captured it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(
            @JsonProperty("n") int n,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("source") String source,
            @JsonProperty("title") String title,
            @JsonProperty("chunk") String chunk,
            @JsonProperty("chunk_id") String chunkId,
            @JsonProperty("run_id") String runId,
            @JsonProperty("captured_at") String capturedAt,
            @JsonProperty("score") double score) {
    }

    public static ChatReply answered(String correlationId, String answer, List<Source> sources, String model,
            long latencyMs, ModelUsage usage) {
        return new ChatReply(correlationId, answer, sources, model, latencyMs, usage, null, null);
    }

    /** The error of a reply to a question on a topic whose token budget for today is spent. */
    public static final String BUDGET_SPENT = "budget_spent";

    public static ChatReply failed(String correlationId, String error, String detail) {
        return new ChatReply(correlationId, null, null, null, null, null, error, detail);
    }
}
