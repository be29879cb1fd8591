package io.fineas.pipeline.processors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.messages.RunSummary;
import org.apache.camel.Variable;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * What each processor is doing, in the system database's {@code processors} collection: written by the processors,
 * shown by the gateway ({@code GET /processors}). Status: ready, misconfigured, waiting (its topic or segment does
 * not exist), running.
 */
public final class ProcessorStatus {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MongoCollection<Document> processors;
    private final Segments segments;

    public ProcessorStatus(MongoCollection<Document> processors, Segments segments) {
        this.processors = processors;
        this.segments = segments;
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

    /** A processor as GET /processors shows it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Processor(
            @JsonProperty("id") String id,
            @JsonProperty("status") String status,
            @JsonProperty("reason") String reason,
            @JsonProperty("file") String file,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("source") String source,
            @JsonProperty("items") Integer items,
            @JsonProperty("run_id") String runId,
            @JsonProperty("runs") Integer runs,
            @JsonProperty("alerts_ignored") Integer alertsIgnored,
            @JsonProperty("last_run") RunSummary lastRun,
            @JsonProperty("updated_at") String updatedAt) {

        Processor withState(String newStatus, String newReason) {
            return new Processor(id, newStatus, newReason, file, topic, segment, source, items, runId, runs,
                    alertsIgnored, lastRun, updatedAt);
        }
    }

    public record Processors(@JsonProperty("processors") List<Processor> processors) {
    }

    /**
     * Each processor whose topic the caller may read (a misconfigured one without a topic: callers who may read every
     * topic). Whether an idle processor is ready or waiting follows its topic and segment as they are now: a
     * processor checks them only at start and at each alert, and a segment created or deleted in between must not
     * leave a stale status on show.
     */
    public Processors list(@Variable("caller") Predicate<String> mayRead) {
        List<Processor> out = new ArrayList<>();
        for (Document d : processors.find().sort(Sorts.ascending("_id"))) {
            if (!mayRead.test(d.get("topic") instanceof String t ? t : null)) {
                continue;
            }
            d.put("id", d.remove("_id"));
            Processor p = JSON.convertValue(d, Processor.class);
            if (("ready".equals(p.status()) || "waiting".equals(p.status())) && p.topic() != null
                    && p.segment() != null) {
                p = segments.segmentExists(p.topic(), p.segment()) ? p.withState("ready", null)
                        : p.withState("waiting", missing(p.topic(), p.segment()));
            }
            out.add(p);
        }
        return new Processors(out);
    }

    private void set(String id, Bson update) {
        processors.updateOne(Filters.eq("_id", id), Updates.combine(update,
                Updates.set("updated_at", Instant.now().toString())), new UpdateOptions().upsert(true));
    }
}
