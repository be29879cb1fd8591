package io.fineas.pipeline.rag;

import java.util.List;
import java.util.Map;

/**
 * Where chunk vectors live. The embedded default is {@link LuceneVectorStore}; {@link PineconeVectorStore} speaks
 * Pinecone's REST data plane. Another store (Qdrant, pgvector) is one more implementation of this interface.
 */
public interface VectorStore extends AutoCloseable {

    /**
     * Stores the chunks with their vectors, replacing chunks of the same id; durable when it returns. A chunk the store
     * refuses for its own sake (too large, a field over a limit) throws {@link IllegalArgumentException}; a store that
     * cannot be reached or written throws anything else.
     */
    void upsert(List<Chunk> chunks, List<float[]> vectors);

    /**
     * The ingestion fingerprint stored with each of these chunks (by chunk id; absent ids have none): what the chunk
     * was made from, so a record already embedded is not embedded again.
     */
    Map<String, String> fingerprints(String topic, List<String> chunkIds);

    /** Removes the chunks of a source from chunk index {@code fromIndex} on (left from a longer earlier version). */
    void removeStale(String topic, String segment, String source, int fromIndex);

    /** Removes every chunk of a topic, or of one segment of it when {@code segment} is not null. */
    void delete(String topic, String segment);

    /**
     * Removes the chunks of one generation of a segment (and those stored without one, from before generations), never
     * those of another: a deletion that arrives after the segment was created again leaves the new one's chunks.
     * Every chunk of the segment when {@code generation} is null.
     */
    void delete(String topic, String segment, String generation);

    /** The k nearest chunks, optionally only of a topic and segment. */
    List<SearchHit> search(float[] query, int k, String topic, String segment);

    /**
     * The stored chunk of that id (its text and metadata; score 0), looked for among these topics where the store
     * keeps topics apart (Pinecone's namespaces); empty when there is none.
     */
    java.util.Optional<SearchHit> get(String chunkId, List<String> topics);

    /** Whether the store also finds chunks by their words ({@link #keywordSearch}). */
    /** How many chunks the topic has here; -1 when this store does not count them cheaply. */
    default long count(String topic) {
        return -1;
    }

    default boolean searchesKeywords() {
        return false;
    }

    /**
     * The k chunks that best match the query's words (BM25; the score is BM25's, unbounded), optionally only of a
     * topic and segment. Only for a store that {@link #searchesKeywords()}.
     */
    default List<SearchHit> keywordSearch(String query, int k, String topic, String segment) {
        throw new UnsupportedOperationException(describe() + " does not search by keywords");
    }

    String describe();

    @Override
    void close();
}
