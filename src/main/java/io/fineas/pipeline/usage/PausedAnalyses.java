package io.fineas.pipeline.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import org.apache.camel.Variable;
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
    private final Duration claim;

    /** @param overBudget whether a topic spent its budget for today ({@link TokenLedger#overBudget}) */
    public PausedAnalyses(MongoCollection<Document> parked, Predicate<String> overBudget) {
        this(parked, overBudget, Duration.ofMinutes(10));
    }

    /** @param claim how long a replica has a resumed record to itself before another may take it */
    public PausedAnalyses(MongoCollection<Document> parked, Predicate<String> overBudget, Duration claim) {
        this.claim = claim;
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

    /**
     * The oldest parked records (at most {@code limit}) of topics that are not over budget, each claimed for this
     * caller for the claim's time: every RAG replica's timer asks, and a record goes to one of them only (they all
     * analysed the same records before, each paying the model). A claim of a replica that died lapses, and another
     * takes the record.
     */
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
        Date now = new Date();
        var unclaimed = Filters.or(Filters.exists("claimed_until", false), Filters.lt("claimed_until", now));
        for (Document d : parked.find(Filters.and(Filters.in("topic", topics), unclaimed))
                .sort(Sorts.ascending("paused_at")).limit(limit)) {
            Document claimed = parked.findOneAndUpdate(Filters.and(Filters.eq("_id", d.getString("_id")),
                    Filters.eq("parking", d.getString("parking")), unclaimed),
                    Updates.set("claimed_until", new Date(now.getTime() + claim.toMillis())));
            if (claimed != null) {
                out.add(new Parked(d.getString("_id"), d.getString("topic"), d.getString("record"),
                        d.getString("parking")));
            }
        }
        return out;
    }

    /** Forgets a parked record once it went through the analysis, unless the analysis parked it again. */
    public void resumed(@Variable("parked") Parked p) {
        parked.deleteOne(Filters.and(Filters.eq("_id", p.id()), Filters.eq("parking", p.parking())));
    }

    public long count(String topic) {
        return parked.countDocuments(Filters.eq("topic", topic));
    }
}
