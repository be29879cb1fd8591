package io.fineas.pipeline.messages;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A question asked through POST /chat, on the Kafka topic {@code chatbot-requests}: published by the gateway that
 * waits for its answer, answered by the RAG role. Schema: schemas/messages/chat-question.schema.json.
 *
 * @param sessionId the asking key's id and the client's session id ({@code <key id>:<session id>}), or null
 * @param retrieval vector, keyword or hybrid; null for the RAG service's configured one
 * @param keyId     the id of the asking key (never the key): the model's tokens are counted against it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatQuestion(
        @JsonProperty("correlation_id") String correlationId,
        @JsonProperty("question") String question,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("session_id") String sessionId,
        @JsonProperty("retrieval") String retrieval,
        @JsonProperty("key_id") String keyId) {
}
