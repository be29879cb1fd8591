package io.fineas.pipeline.rag.llm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import io.fineas.pipeline.messages.Inference;
import io.fineas.pipeline.rag.Fingerprint;
import io.fineas.pipeline.rag.LiveSegments;
import io.fineas.pipeline.rag.Refusal;
import org.apache.camel.Body;
import org.bson.BsonMaximumSizeExceededException;
import org.bson.Document;

/**
 * Stores a batch of inferences in their segments: one document each in its topic's collection, saved by its {@code _id}
 * (one per source, template and model), so a replay stores nothing twice and a new version of a source replaces its
 * inference; an inference of a topic or segment deleted (or created anew) since its record was captured is dropped.
 * One bulk write per topic per batch. An inference that is not JSON, or that MongoDB refuses, is a failure of its own
 * (for the dead-letter topic) and the others are stored; MongoDB unreachable is thrown, for a retry of the batch.
 */
public final class InferenceStore {

    /** @param failures the inferences refused, each with its reason */
    public record Result(int stored, int stale, List<Refusal> failures) {
    }

    private record Pending(String raw, Document inference) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** When the version an inference was made from was captured (epoch ms), kept beside it to compare versions. */
    public static final String CAPTURED_MILLIS = "captured_at_ms";
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final MongoDatabase data;
    private final LiveSegments live;

    public InferenceStore(MongoDatabase data, LiveSegments live) {
        this.data = data;
        this.live = live;
    }

    public Result storeAll(@Body List<String> inferences) {
        LiveSegments liveness = live.memoized();
        Map<String, Map<Object, Pending>> byTopic = new LinkedHashMap<>();
        List<Refusal> failures = new ArrayList<>();
        int stale = 0;
        for (String raw : inferences) {
            Inference message;
            try {
                message = JSON.readValue(raw, Inference.class);
            } catch (JsonProcessingException e) {
                failures.add(new Refusal(raw, "not a JSON inference: " + e.getOriginalMessage()));
                continue;
            } catch (IllegalArgumentException e) {
                failures.add(new Refusal(raw, "not a JSON inference: " + e.getMessage()));
                continue;
            }
            if (message == null || message.topic() == null || message.id() == null) {
                failures.add(new Refusal(raw, "not an inference: _id and topic are required"));
                continue;
            }
            if (!liveness.isLive(message.topic(), message.segment(), message.generation())) {
                stale++;
                continue;
            }
            // the newest captured version of the batch for an _id is the one that counts (of equal ones, the last)
            Map<Object, Pending> writes = byTopic.computeIfAbsent(message.topic(), t -> new LinkedHashMap<>());
            Document document = new Document(JSON.convertValue(message, MAP));
            Long captured = Fingerprint.millis(message.capturedAt());
            if (captured != null) {
                document.put(CAPTURED_MILLIS, captured);
            }
            Pending other = writes.get(message.id());
            if (other != null && captured != null && other.inference().get(CAPTURED_MILLIS) instanceof Long o
                    && captured < o) {
                stale++;
                continue;
            }
            writes.remove(message.id());
            writes.put(message.id(), new Pending(raw, document));
        }
        int stored = 0;
        int[] superseded = new int[1];
        for (var topic : byTopic.entrySet()) {
            stored += write(topic.getKey(), new ArrayList<>(topic.getValue().values()), failures, superseded);
        }
        return new Result(stored, stale + superseded[0], failures);
    }

    /**
     * Replaces the stored inference of the same _id unless that one was made from a version captured later: the
     * filter then matches nothing, the upsert's insert meets the _id, and MongoDB answers a duplicate key, which is
     * the older version dropped (a parked analysis resumed, a dead letter replayed, two versions of one backlog).
     */
    private static org.bson.conversions.Bson notNewerThan(Document inference) {
        Object id = inference.get("_id");
        if (!(inference.get(CAPTURED_MILLIS) instanceof Long captured)) {
            return Filters.eq("_id", id);
        }
        return Filters.and(Filters.eq("_id", id), Filters.or(Filters.exists(CAPTURED_MILLIS, false),
                Filters.lte(CAPTURED_MILLIS, captured)));
    }

    private int write(String topic, List<Pending> pending, List<Refusal> failures, int[] superseded) {
        try {
            data.getCollection(topic).bulkWrite(pending.stream().map(p -> new ReplaceOneModel<>(
                    notNewerThan(p.inference()), p.inference(), new ReplaceOptions().upsert(true)))
                    .toList(), new BulkWriteOptions().ordered(false));
            return pending.size();
        } catch (MongoBulkWriteException e) {
            // the others were written (unordered); the refused ones go with MongoDB's reason, an older version
            // than the stored one is dropped
            for (BulkWriteError error : e.getWriteErrors()) {
                if (error.getCategory() == com.mongodb.ErrorCategory.DUPLICATE_KEY) {
                    superseded[0]++;
                } else {
                    failures.add(new Refusal(pending.get(error.getIndex()).raw(), "MongoDB refused it: "
                            + error.getMessage()));
                }
            }
            return pending.size() - e.getWriteErrors().size();
        } catch (BsonMaximumSizeExceededException e) {
            // one document over the size limit fails the whole bulk before it is sent: one by one
            if (pending.size() == 1) {
                failures.add(new Refusal(pending.get(0).raw(), "MongoDB refused it: " + e.getMessage()));
                return 0;
            }
            int stored = 0;
            for (Pending p : pending) {
                stored += write(topic, List.of(p), failures, superseded);
            }
            return stored;
        }
    }

}
