package io.fineas.pipeline.rag;

/**
 * A record a RAG batch stage refused for its own sake (not JSON, no text, refused by the model or the store), for the
 * dead-letter topic: the record as it came, and why (routes/rag/vector-ingest: rag-dead-letter-refusals).
 */
public record Refusal(String record, String reason) {
}
