package io.fineas.pipeline.rag;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.Alert;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * GET /lineage/{chunk_id}: where a cited chunk comes from, the whole chain: the chunk (its text, its place in its
 * source), the captured record it was cut from (source, kind, title, parameters, capture time, content hash), the
 * processor that captured it (its config file, source kind, state) and the collection run (when and by which key it
 * was requested, and what each processor reported). Only for a key that may read the chunk's topic; to any other the
 * chunk does not exist.
 */
public final class Lineage {

    /** The chain; the processor and the run are as the gateway and the processors keep them (null once gone). */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Trace(
            @JsonProperty("chunk") Chunk chunk,
            @JsonProperty("record") Record record,
            @JsonProperty("processor") Document processor,
            @JsonProperty("run") Document run) {
    }

    public record Chunk(
            @JsonProperty("chunk_id") String chunkId,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("chunk_index") Object chunkIndex,
            @JsonProperty("chunk_count") Object chunkCount,
            @JsonProperty("text") String text) {
    }

    public record Record(
            @JsonProperty("source") Object source,
            @JsonProperty("source_kind") Object sourceKind,
            @JsonProperty("title") Object title,
            @JsonProperty("parameters") Object parameters,
            @JsonProperty("captured_at") Object capturedAt,
            @JsonProperty("content_hash") Object contentHash,
            @JsonProperty("generation") Object generation,
            @JsonProperty("captured_by") Object capturedBy) {
    }

    private final VectorStore store;
    private final Supplier<List<String>> topics;
    private final MongoCollection<Document> processors;
    private final MongoCollection<Document> runs;

    public Lineage(VectorStore store, Supplier<List<String>> topics, MongoCollection<Document> processors,
            MongoCollection<Document> runs) {
        this.store = store;
        this.topics = topics;
        this.processors = processors;
        this.runs = runs;
    }

    public Trace trace(@Header("chunk_id") String chunkId, @Variable("caller") Predicate<String> mayRead) {
        SearchHit hit = chunkId == null || chunkId.length() > 200 ? null
                : store.get(chunkId, topics.get().stream().filter(mayRead).toList()).orElse(null);
        Object topic = hit == null ? null : hit.metadata().get("topic");
        if (hit == null || !(topic instanceof String t) || !mayRead.test(t)) {
            throw ApiException.notFound("no chunk '" + (chunkId == null ? "" : chunkId) + "'");
        }
        var m = hit.metadata();
        Chunk chunk = new Chunk(hit.id(), t, (String) m.get("segment"), m.get("chunk_index"), m.get("chunk_count"),
                hit.text());
        Record record = new Record(m.get("source"), m.get("source_kind"), m.get("title"), m.get("parameters"),
                m.get("captured_at"), m.get("content_hash"), m.get("generation"), m.get("captured_by"));
        Document processor = m.get("processor_id") instanceof String id
                ? processors.find(Filters.eq("_id", id)).first() : null;
        if (processor != null) {
            processor.put("id", processor.remove("_id"));
        }
        Document run = m.get("run_id") instanceof String id ? runs.find(Filters.eq("_id", id)).first() : null;
        // the run as GET /runs/{run_id} shows it, to the same keys: a run of every topic ("alert") names other topics'
        // processors and is for keys that may read every topic (mayRead of null)
        String runTopic = run == null ? null : run.getString("topic");
        if (run != null && !mayRead.test(runTopic == null || Alert.ANY_TOPIC.equals(runTopic) ? null : runTopic)) {
            run = null;
        }
        if (run != null) {
            run.put("run_id", run.remove("_id"));
        }
        return new Trace(chunk, record, processor, run);
    }
}
