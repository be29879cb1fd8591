package io.fineas.pipeline.gateway;

import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.messages.RunSummary;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * Collection runs in the system database's {@code runs} collection: requested by /collect, then one entry per
 * processor from the run-status events ({@code processors.ID}).
 */
public final class Runs {

    /** The most failed items a run shows with their reasons (GET /runs/{run_id}); failures_total counts them all. */
    static final int MAX_FAILURES = 100;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final MongoCollection<Document> runs;
    private final MongoCollection<Document> failures;

    public Runs(MongoCollection<Document> runs, MongoCollection<Document> failures) {
        this.runs = runs;
        this.failures = failures;
        failures.createIndex(com.mongodb.client.model.Indexes.ascending("run_id", "failed_at"));
        // GET /runs lists the newest first
        runs.createIndex(com.mongodb.client.model.Indexes.descending("requested_at"));
    }

    /**
     * Records the runs of a batch of alerts (their JSON, as on the alert topic) in one bulk insert; a record that is
     * not an alert with a run id is no run (the processors send it to the alert dead-letter topic). A run already
     * there (an alert delivered again, or a processor's summary that came first) gets the alert's fields instead.
     */
    public void requested(List<String> alertJsons) {
        requested(alertJsons, null);
    }

    /**
     * As {@link #requested(List)}, with the trace each alert belongs to (the trace of its POST /collect, null when
     * it came without one), kept as the run's {@code trace_id}.
     */
    public void requested(List<String> alertJsons, List<String> traceIds) {
        List<Alert> alerts = new java.util.ArrayList<>();
        Map<String, String> traceOf = new java.util.HashMap<>();
        for (int i = 0; i < alertJsons.size(); i++) {
            try {
                Alert a = Alert.parse(alertJsons.get(i));
                alerts.add(a);
                String trace = traceIds == null || i >= traceIds.size() ? null : traceIds.get(i);
                if (trace != null) {
                    traceOf.put(a.runId(), trace);
                }
            } catch (IllegalArgumentException notAnAlert) {
                // not a run
            }
        }
        if (alerts.isEmpty()) {
            return;
        }
        List<Document> docs = new java.util.ArrayList<>();
        for (Alert a : alerts) {
            Document d = new Document("_id", a.runId());
            d.putAll(requestedFields(a));
            if (traceOf.containsKey(a.runId())) {
                d.append("trace_id", traceOf.get(a.runId()));
            }
            docs.add(d);
        }
        try {
            // an insert is cheaper than an upsert for the database: no query, no update to work out
            runs.insertMany(docs, new com.mongodb.client.model.InsertManyOptions().ordered(false));
        } catch (com.mongodb.MongoBulkWriteException e) {
            List<com.mongodb.client.model.WriteModel<Document>> updates = new java.util.ArrayList<>();
            for (com.mongodb.bulk.BulkWriteError error : e.getWriteErrors()) {
                if (error.getCode() != DUPLICATE_KEY) {
                    throw e;
                }
                Alert a = alerts.get(error.getIndex());
                Document set = requestedFields(a);
                if (traceOf.containsKey(a.runId())) {
                    set.append("trace_id", traceOf.get(a.runId()));
                }
                updates.add(new com.mongodb.client.model.UpdateOneModel<>(Filters.eq("_id", a.runId()),
                        new Document("$set", set), new UpdateOptions().upsert(true)));
            }
            if (updates.isEmpty() || e.getWriteConcernError() != null) {
                throw e;
            }
            runs.bulkWrite(updates, new com.mongodb.client.model.BulkWriteOptions().ordered(false));
        }
    }

    private static final int DUPLICATE_KEY = 11000;

    /**
     * The alerts this instance accepted in the last minute: their runs are recorded from Kafka a moment later, and a
     * client that asks for its run right after the 202 must not get a 404 meanwhile.
     */
    public void accepted(@Variable("alerts") List<Alert> alerts) {
        long now = System.nanoTime();
        synchronized (lately) {
            for (Alert a : alerts) {
                lately.put(a.runId(), new Accepted(a, now));
            }
        }
    }

    private Alert acceptedLately(String runId) {
        Accepted a;
        synchronized (lately) {
            a = runId == null ? null : lately.get(runId);
        }
        return a == null || System.nanoTime() - a.at() > LATELY_NANOS ? null : a.alert();
    }

    /** What a run's document says of its request: the alert's fields but its id (the document's _id). */
    private static Document requestedFields(Alert alert) {
        return new Document("topic", alert.topic()).append("segment_targets", alert.segmentTargets())
                .append("requested_at", alert.requestedAt()).append("requested_by", alert.requestedBy())
                .append("schedule_entry", alert.scheduleEntry());
    }

    private record Accepted(Alert alert, long at) {
    }

    private static final long LATELY_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(1);
    /** At most the last 10,000 (the oldest leave first), each for a minute. */
    private final Map<String, Accepted> lately = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Accepted> eldest) {
            return size() > 10_000;
        }
    };

    public void processorFinished(@Body RunSummary summary) {
        String runId = summary.runId();
        String p = summary.processorId();
        if (runId == null || p == null || p.contains(".") || p.startsWith("$")) {
            throw new IllegalArgumentException("not a run-status event: " + summary);
        }
        runs.updateOne(Filters.eq("_id", runId), Updates.set("processors." + p, new Document(summary.fields())),
                new UpdateOptions().upsert(true));
    }

    /**
     * The run, for a caller who may read its topic (a run of "alert", any topic, needs every topic); to any other it
     * does not exist (a run id of another topic tells nothing).
     */
    public Document get(@Header("run_id") String runId, @Variable("caller") ApiKeys.Caller caller) {
        Document stored = runId == null ? null : runs.find(Filters.eq("_id", runId)).first();
        Document d = stored;
        if (d == null || d.get("topic") == null) {
            // accepted here a moment ago, its record not stored yet: the alert says what it is
            Alert alert = acceptedLately(runId);
            if (alert != null) {
                d = new Document("_id", runId);
                d.putAll(requestedFields(alert));
                if (stored != null) {
                    stored.forEach(d::putIfAbsent);
                }
            }
        }
        String topic = d == null ? null : d.getString("topic");
        if (d == null || !caller.canRead(topic == null || Alert.ANY_TOPIC.equals(topic) ? null : topic)) {
            throw ApiException.notFound("no run with id '" + runId + "'");
        }
        Document out = shaped(d);
        List<Document> failed = new java.util.ArrayList<>();
        failures.find(Filters.eq("run_id", runId)).sort(com.mongodb.client.model.Sorts.ascending("failed_at"))
                .limit(MAX_FAILURES).forEach(f -> {
                    f.remove("_id");
                    f.remove("run_id");
                    failed.add(f);
                });
        out.put("failures", failed);
        // counted only when the page is full: fewer than the limit are all there are
        out.put("failures_total", failed.size() < MAX_FAILURES ? (long) failed.size()
                : failures.countDocuments(Filters.eq("run_id", runId)));
        return out;
    }

    /**
     * Records the items that failed (the capture dead-letter topic's records, as JSON): each once, however often it
     * is delivered (its id is its content's hash). A record that is not a capture failure with a run id is left out.
     */
    public void failed(@Body List<String> failureJsons) {
        List<com.mongodb.client.model.WriteModel<Document>> writes = new java.util.ArrayList<>();
        for (String json : failureJsons) {
            io.fineas.pipeline.messages.CaptureFailure f;
            try {
                f = JSON.readValue(json, io.fineas.pipeline.messages.CaptureFailure.class);
            } catch (Exception notAFailure) {
                continue;
            }
            if (f.runId() == null) {
                continue;
            }
            String id = io.fineas.pipeline.common.Hashes.sha256Hex(json);
            writes.add(new com.mongodb.client.model.ReplaceOneModel<>(Filters.eq("_id", id), new Document("_id", id)
                    .append("run_id", f.runId()).append("processor_id", f.processorId())
                    .append("source", f.source() == null ? null : f.source().id())
                    .append("parameters", f.parameters()).append("error", f.error())
                    .append("failed_at", f.failedAt()), new com.mongodb.client.model.ReplaceOptions().upsert(true)));
        }
        if (!writes.isEmpty()) {
            failures.bulkWrite(writes, new com.mongodb.client.model.BulkWriteOptions().ordered(false));
        }
    }

    /** The most recent runs (at most {@code limit}, 1 to 100, default 20) of the topics the caller may read. */
    public RecentRuns recent(@Header("limit") Object limit, @Variable("caller") ApiKeys.Caller caller) {
        int n = io.fineas.pipeline.common.QueryParameters.wholeNumber("limit", limit, 20, 100);
        var filter = caller.canRead(null) ? Filters.exists("topic") : Filters.in("topic", caller.namedTopics());
        List<Document> out = new java.util.ArrayList<>();
        for (Document d : runs.find(filter).sort(com.mongodb.client.model.Sorts.descending("requested_at")).limit(n)) {
            out.add(shaped(d));
        }
        return new RecentRuns(out);
    }

    public record RecentRuns(@com.fasterxml.jackson.annotation.JsonProperty("runs") List<Document> runs) {
    }

    /** A run as the API shows it: its id as run_id, and whether processors have reported on it yet. */
    private static Document shaped(Document d) {
        Document out = new Document("run_id", d.get("_id"));
        d.forEach((k, v) -> {
            if (!k.equals("_id")) {
                out.put(k, v);
            }
        });
        // how many processors a run reaches is not known in advance: report what has come back so far, and whether a
        // processor is still at it (its progress without its summary)
        Document processors = d.get("processors") instanceof Document p ? p : new Document();
        Document progress = d.get("progress") instanceof Document p ? p : new Document();
        boolean running = progress.keySet().stream().anyMatch(p -> !processors.containsKey(p));
        out.put("processors_reported", processors.size());
        out.put("status", running ? "running" : processors.isEmpty() ? "requested" : "reported");
        return out;
    }
}
