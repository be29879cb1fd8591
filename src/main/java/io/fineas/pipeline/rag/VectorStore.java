package io.fineas.pipeline.rag;

import java.util.List;

/**
 * Where chunk vectors live. The embedded default is {@link LuceneVectorStore}; {@link PineconeVectorStore} speaks
 * Pinecone's REST data plane. Another store (Qdrant, pgvector) is one more implementation of this interface.
 */
public interface VectorStore extends AutoCloseable {

    /** Stores the chunks with their vectors, replacing chunks of the same id; durable when it returns. */
    void upsert(List<Chunk> chunks, List<float[]> vectors);

    /** Removes the chunks of a source from chunk index {@code fromIndex} on (left from a longer earlier version). */
    void removeStale(String topic, String segment, String source, int fromIndex);

    /** Removes every chunk of a topic, or of one segment of it when {@code segment} is not null. */
    void delete(String topic, String segment);

    /** The k nearest chunks, optionally only of a topic and segment. */
    List<SearchHit> search(float[] query, int k, String topic, String segment);

    String describe();

    @Override
    void close();
}
