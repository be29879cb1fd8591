package io.fineas.pipeline.gateway;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.util.AlertMatcher;
import io.fineas.pipeline.util.ApiException;
import org.bson.Document;

/**
 * Collection runs in the system database's {@code runs} collection: requested by /collect, then one entry per
 * processor from the run-status events ({@code processors.ID}).
 */
public final class Runs {

    private final MongoCollection<Document> runs;

    public Runs(MongoCollection<Document> runs) {
        this.runs = runs;
    }

    public void requested(List<Map<String, Object>> alerts) {
        for (Map<String, Object> a : alerts) {
            runs.updateOne(Filters.eq("_id", a.get("run_id")), Updates.combine(
                    Updates.set("topic", a.get("topic")), Updates.set("segment_targets", a.get("segment_targets")),
                    Updates.set("requested_at", a.get("requested_at"))), new UpdateOptions().upsert(true));
        }
    }

    public void processorFinished(Map<String, Object> summary) {
        Object runId = summary.get("run_id");
        Object processor = summary.get("processor_id");
        if (!(runId instanceof String) || !(processor instanceof String p) || p.contains(".") || p.startsWith("$")) {
            throw new IllegalArgumentException("not a run-status event: " + summary);
        }
        runs.updateOne(Filters.eq("_id", runId), Updates.set("processors." + p, new Document(summary)),
                new UpdateOptions().upsert(true));
    }

    /**
     * The run, for a caller who may read its topic (a run of "alert", any topic, needs every topic); to any other it
     * does not exist (a run id of another topic tells nothing).
     */
    public Map<String, Object> get(String runId, ApiKeys.Caller caller) {
        Document d = runId == null ? null : runs.find(Filters.eq("_id", runId)).first();
        String topic = d == null ? null : d.getString("topic");
        if (d == null || !caller.canRead(topic == null || AlertMatcher.ANY_TOPIC.equals(topic) ? null : topic)) {
            throw ApiException.notFound("no run with id '" + runId + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("run_id", d.get("_id"));
        d.forEach((k, v) -> {
            if (!k.equals("_id")) {
                out.put(k, v);
            }
        });
        // how many processors a run reaches is not known in advance: report what has come back so far
        Object processors = d.get("processors");
        int reported = processors instanceof Document p ? p.size() : 0;
        out.put("processors_reported", reported);
        out.put("status", reported == 0 ? "requested" : "reported");
        return out;
    }
}
