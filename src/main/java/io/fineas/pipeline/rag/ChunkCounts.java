package io.fineas.pipeline.rag;

import java.time.Instant;
import java.util.List;
import java.util.function.Supplier;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOptions;
import org.bson.Document;

/**
 * How many chunks each topic has in the vector store, written to MongoDB ({@code topic_stats}) every
 * RAG_CHUNK_COUNT_MS by the RAG service that holds the store, for the gateway to show (GET /topics), which cannot
 * read the store itself when the services run apart. A store that does not count (Pinecone) writes nothing.
 */
public final class ChunkCounts {

    private final VectorStore store;
    private final Supplier<List<String>> topics;
    private final MongoCollection<Document> stats;

    public ChunkCounts(VectorStore store, Supplier<List<String>> topics, MongoCollection<Document> stats) {
        this.store = store;
        this.topics = topics;
        this.stats = stats;
    }

    public void publish() {
        String at = Instant.now().toString();
        for (String topic : topics.get()) {
            long chunks = store.count(topic);
            if (chunks >= 0) {
                stats.replaceOne(Filters.eq("_id", topic), new Document("_id", topic).append("chunks", chunks)
                        .append("counted_at", at), new ReplaceOptions().upsert(true));
            }
        }
    }
}
