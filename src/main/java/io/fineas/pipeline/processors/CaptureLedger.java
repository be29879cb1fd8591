package io.fineas.pipeline.processors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.CountOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.CapturedRecord;
import org.apache.camel.Body;
import org.apache.camel.Variable;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * What the processors have already done, kept in MongoDB so that a restart does not do it again:
 * <ul>
 * <li>the content hash last published per topic, segment and source ({@code {_id: "capture:SEGMENT:KEY", kind:
 * "capture"}} in the topic's collection, so deleting the segment or the topic forgets it too): a record whose content
 * is unchanged is not published again, and the run summary counts it as {@code records_unchanged};</li>
 * <li>the runs each processor finished ({@code processor_runs} in the system database): an alert whose run finished
 * is not run again when it is polled again after a crash (finished, not yet committed).</li>
 * </ul>
 * Both are written after the effect they record (the records acknowledged by Kafka, the run summary published), so a
 * crash between the two repeats the effect, which is idempotent downstream, and never loses it. The capture entries
 * are written in bulk, {@value #WRITE_EVERY} at a time and at the end of each batch ({@link #remember}): one round
 * trip per item was a fifth of the CPU of a processor run of quick items (ProcessorBenchmark, JFR), and a crash
 * repeats at most the records of the batch it interrupted.
 */
public final class CaptureLedger {

    /** How many acknowledged records wait at most before their entries are written. */
    static final int WRITE_EVERY = 64;
    /** Up to how many sources a segment's entries are read in one query for a run (about 200 bytes each). */
    static final int SNAPSHOT_LIMIT = 50_000;

    /** The records of an item to publish, and how many were left out as unchanged. */
    public record Fresh(List<CapturedRecord> records, int unchanged) {
    }

    private final MongoDatabase data;
    /** Reads ahead each run's ledger entries. */
    private final Executor reader;
    private final MongoCollection<Document> finishedRuns;

    /** @param reader where each run's entries are read ahead ({@link #readAhead}) */
    public CaptureLedger(MongoDatabase data, MongoCollection<Document> finishedRuns, Executor reader) {
        this.data = data;
        this.reader = reader;
        this.finishedRuns = finishedRuns;
    }

    static String captureId(String segment, String source) {
        return "capture:" + segment + ":" + Hashes.sha256Hex(source).substring(0, 32);
    }

    /** What was last published for a source: its content's hash and the segment's generation. */
    record Entry(String contentHash, String generation) {

        static Entry of(Document d) {
            return new Entry(d.getString("content_hash"), d.getString("generation"));
        }

        static Entry of(CapturedRecord r) {
            return new Entry(r.contentHash(), r.generation());
        }
    }

    /** The records whose content differs from what was last published for their source (all, the first time). */
    public Fresh fresh(@Variable("run") ProcessorRun run, @Body List<CapturedRecord> records) {
        if (records.isEmpty()) {
            return new Fresh(records, 0);
        }
        String segment = run.getConfig().segment();
        List<String> ids = records.stream().map(r -> captureId(segment, r.sourceId())).toList();
        Map<String, Entry> published = run.ledger().orElse(null);
        if (published == null) {
            published = new HashMap<>();
            for (Document d : collection(run).find(Filters.in("_id", ids))
                    .projection(Projections.include("content_hash", "generation"))) {
                published.put(d.getString("_id"), Entry.of(d));
            }
        }
        List<CapturedRecord> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            CapturedRecord waiting = run.unremembered(records.get(i).sourceId());
            Entry last = waiting != null ? Entry.of(waiting) : published.get(ids.get(i));
            if (!sameVersion(last, records.get(i))) {
                out.add(records.get(i));
            }
        }
        int unchanged = records.size() - out.size();
        run.unchanged(unchanged);
        return new Fresh(out, unchanged);
    }

    /**
     * Starts reading the segment's entries for a run of a data list, while its first items are captured: one query
     * instead of one per item (the lookups were a sixth of a capture worker's CPU; read when the first item needed
     * them, all workers waited 15 to 30 ms for it). Runs of one processor never overlap, and the run adds what it
     * publishes. A segment of more than {@value #SNAPSHOT_LIMIT} sources, or a failed read: each item is looked up.
     */
    public void readAhead(ProcessorRun run) {
        run.readLedger(CompletableFuture.supplyAsync(() -> snapshot(run), reader)
                .exceptionally(e -> Optional.empty()));
    }

    private Optional<Map<String, Entry>> snapshot(ProcessorRun run) {
        Bson segment = Filters.and(Filters.eq("segment", run.getConfig().segment()), Filters.eq("kind", "capture"));
        MongoCollection<Document> entries = collection(run);
        if (entries.countDocuments(segment, new CountOptions().limit(SNAPSHOT_LIMIT + 1)) > SNAPSHOT_LIMIT) {
            return Optional.empty();
        }
        Map<String, Entry> known = new ConcurrentHashMap<>();
        for (Document d : entries.find(segment).projection(Projections.include("content_hash", "generation"))) {
            known.put(d.getString("_id"), Entry.of(d));
        }
        return Optional.of(known);
    }

    /**
     * The same content published for the same generation of the segment. An entry of an earlier generation (a run in
     * flight while the segment was deleted wrote it back after the delete) does not count: the segment created again
     * is captured anew. An entry written before generations were kept counts as the same.
     */
    private static boolean sameVersion(Entry published, CapturedRecord record) {
        if (published == null || !record.contentHash().equals(published.contentHash())) {
            return false;
        }
        return CapturedRecord.sameGeneration(published.generation(), record.generation());
    }

    /**
     * Remembers the content of records Kafka has acknowledged: written with the next {@value #WRITE_EVERY}, or by
     * {@link #remember} at the end of the batch.
     */
    public void published(ProcessorRun run, List<CapturedRecord> records) {
        if (!records.isEmpty() && run.rememberLater(records) >= WRITE_EVERY) {
            remember(run);
        }
    }

    /** Writes the entries of every acknowledged record of the run not written yet, in one bulk write. */
    public void remember(@Variable("run") ProcessorRun run) {
        List<CapturedRecord> records = run.takeUnremembered();
        if (records.isEmpty()) {
            return;
        }
        String segment = run.getConfig().segment();
        List<ReplaceOneModel<Document>> writes = new ArrayList<>();
        for (CapturedRecord r : records) {
            String id = captureId(segment, r.sourceId());
            writes.add(new ReplaceOneModel<>(Filters.eq("_id", id), new Document("_id", id).append("kind", "capture")
                    .append("segment", segment).append("source", r.sourceId())
                    .append("content_hash", r.contentHash()).append("generation", r.generation())
                    .append("run_id", run.getRunId())
                    .append("captured_at", r.capturedAt()), new ReplaceOptions().upsert(true)));
        }
        collection(run).bulkWrite(writes, new BulkWriteOptions().ordered(false));
        run.ledger().ifPresent(known -> records.forEach(r -> known.put(captureId(segment, r.sourceId()),
                Entry.of(r))));
    }

    private MongoCollection<Document> collection(ProcessorRun run) {
        return data.getCollection(run.getConfig().topic());
    }

    public boolean finished(String processorId, String runId) {
        return finishedRuns.find(Filters.eq("_id", processorId + "/" + runId)).first() != null;
    }

    /** Records that the run is done (its summary published): the alert is not run again. */
    public void finished(ProcessorRun run) {
        String id = run.getProcessorId() + "/" + run.getRunId();
        finishedRuns.replaceOne(Filters.eq("_id", id), new Document("_id", id)
                .append("finished_at", Instant.now().toString()), new ReplaceOptions().upsert(true));
    }
}
