package io.fineas.pipeline.usage;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import org.bson.Document;

/**
 * The records whose analysis waits because their topic spent its token budget for the day ({@link TokenLedger}):
 * kept in MongoDB ({@code paused_analyses}, one per inference to make: a newer capture of the same source replaces
 * the older), so their Kafka offsets can be committed and every other topic's analyses go on. They are analysed again
 * once the budget allows (the next UTC day, or a larger budget): routes/rag/llm-analysis, rag-resume-paused-analyses.
 */
public final class PausedAnalyses {

    public static final String COLLECTION = "paused_analyses";

    /** A parked record; {@code parking} tells this parking from a later one of the same inference. */
    public record Parked(String id, String topic, String record, String parking) {
    }

    private final MongoCollection<Document> parked;
    private final Predicate<String> overBudget;

    /** @param overBudget whether a topic spent its budget for today ({@link TokenLedger#overBudget}) */
    public PausedAnalyses(MongoCollection<Document> parked, Predicate<String> overBudget) {
        this.parked = parked;
        this.overBudget = overBudget;
        parked.createIndex(Indexes.ascending("topic", "paused_at"));
    }

    /** Parks a record whose inference would be {@code inferenceId}. */
    public void park(String inferenceId, String topic, String recordJson) {
        parked.replaceOne(Filters.eq("_id", inferenceId), new Document("_id", inferenceId).append("topic", topic)
                .append("record", recordJson).append("paused_at", Instant.now().toString())
                .append("parking", UUID.randomUUID().toString()), new ReplaceOptions().upsert(true));
    }

    /** The oldest parked records (at most {@code limit}) of topics that are not over budget. */
    public List<Parked> resumable(int limit) {
        List<String> topics = new ArrayList<>();
        for (String topic : parked.distinct("topic", String.class)) {
            if (!overBudget.test(topic)) {
                topics.add(topic);
            }
        }
        List<Parked> out = new ArrayList<>();
        if (topics.isEmpty()) {
            return out;
        }
        for (Document d : parked.find(Filters.in("topic", topics)).sort(Sorts.ascending("paused_at")).limit(limit)) {
            out.add(new Parked(d.getString("_id"), d.getString("topic"), d.getString("record"),
                    d.getString("parking")));
        }
        return out;
    }

    /** Forgets a parked record once it went through the analysis, unless the analysis parked it again. */
    public void resumed(Parked p) {
        parked.deleteOne(Filters.and(Filters.eq("_id", p.id()), Filters.eq("parking", p.parking())));
    }

    public long count(String topic) {
        return parked.countDocuments(Filters.eq("topic", topic));
    }
}
