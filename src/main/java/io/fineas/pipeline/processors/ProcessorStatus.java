package io.fineas.pipeline.processors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.messages.RunSummary;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * What each processor is doing, in the system database's {@code processors} collection: written by the processors,
 * shown by the gateway ({@code GET /processors}). Status: ready, misconfigured, waiting (its topic or segment does
 * not exist), running.
 */
public final class ProcessorStatus {

    private final MongoCollection<Document> processors;
    private final TopicRegistry topics;

    public ProcessorStatus(MongoCollection<Document> processors, TopicRegistry topics) {
        this.processors = processors;
        this.topics = topics;
    }

    /** Why a processor does not run: its topic or its segment is missing. */
    public static String missing(String topic, String segment) {
        return "topic '" + topic + "' or its segment '" + segment + "' does not exist";
    }

    public void ready(ProcessorConfig c) {
        set(c.id(), Updates.combine(Updates.set("status", "ready"), Updates.set("file", c.file().getFileName().toString()),
                Updates.set("topic", c.topic()), Updates.set("segment", c.segment()), Updates.set("source", c.kind()),
                Updates.set("items", c.items().size()), Updates.unset("reason")));
    }

    public void misconfigured(String file, String reason) {
        String id = "file:" + file;
        set(id, Updates.combine(Updates.set("status", "misconfigured"), Updates.set("file", file),
                Updates.set("reason", reason)));
    }

    public void waiting(String id, String reason) {
        set(id, Updates.combine(Updates.set("status", "waiting"), Updates.set("reason", reason)));
    }

    public void ignored(String id) {
        set(id, Updates.inc("alerts_ignored", 1));
    }

    public void running(String id, String runId) {
        set(id, Updates.combine(Updates.set("status", "running"), Updates.set("run_id", runId), Updates.unset("reason")));
    }

    public void finished(String id, RunSummary summary) {
        set(id, Updates.combine(Updates.set("status", "ready"), Updates.set("last_run", new Document(summary.fields())),
                Updates.inc("runs", 1)));
    }

    /**
     * Every processor's status. Whether an idle processor is ready or waiting follows its topic and segment as they
     * are now: a processor checks them only at start and at each alert, and a segment created or deleted in between
     * must not leave a stale status on show.
     */
    /**
     * Each processor whose topic the caller may read (a misconfigured one without a topic: callers who may read every
     * topic).
     */
    public Map<String, Object> list(io.fineas.pipeline.gateway.ApiKeys.Caller caller) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Document d : processors.find().sort(Sorts.ascending("_id"))) {
            if (!caller.canRead(d.get("topic") instanceof String t ? t : null)) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>(d);
            m.put("id", m.remove("_id"));
            if (("ready".equals(m.get("status")) || "waiting".equals(m.get("status")))
                    && m.get("topic") instanceof String topic && m.get("segment") instanceof String segment) {
                if (topics.segmentExists(topic, segment)) {
                    m.put("status", "ready");
                    m.remove("reason");
                } else {
                    m.put("status", "waiting");
                    m.put("reason", missing(topic, segment));
                }
            }
            out.add(m);
        }
        return Map.of("processors", out);
    }

    private void set(String id, Bson update) {
        processors.updateOne(Filters.eq("_id", id), Updates.combine(update,
                Updates.set("updated_at", Instant.now().toString())), new UpdateOptions().upsert(true));
    }
}
