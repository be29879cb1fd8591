package io.fineas.pipeline.processors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.CapturedRecord;
import org.bson.Document;

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
 * crash between the two repeats the effect, which is idempotent downstream, and never loses it.
 */
public final class CaptureLedger {

    /** The records of an item to publish, and how many were left out as unchanged. */
    public record Fresh(List<CapturedRecord> records, int unchanged) {
    }

    private final MongoDatabase data;
    private final MongoCollection<Document> finishedRuns;

    public CaptureLedger(MongoDatabase data, MongoCollection<Document> finishedRuns) {
        this.data = data;
        this.finishedRuns = finishedRuns;
    }

    static String captureId(String segment, String source) {
        return "capture:" + segment + ":" + Hashes.sha256Hex(source).substring(0, 32);
    }

    /** The records whose content differs from what was last published for their source (all, the first time). */
    public Fresh fresh(ProcessorRun run, List<CapturedRecord> records) {
        if (records.isEmpty()) {
            return new Fresh(records, 0);
        }
        String segment = run.getConfig().segment();
        List<String> ids = records.stream().map(r -> captureId(segment, r.sourceId())).toList();
        Map<String, Document> published = new HashMap<>();
        collection(run).find(Filters.in("_id", ids)).projection(Projections.include("content_hash", "generation"))
                .forEach(d -> published.put(d.getString("_id"), d));
        List<CapturedRecord> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (!sameVersion(published.get(ids.get(i)), records.get(i))) {
                out.add(records.get(i));
            }
        }
        int unchanged = records.size() - out.size();
        run.unchanged(unchanged);
        return new Fresh(out, unchanged);
    }

    /**
     * The same content published for the same generation of the segment. An entry of an earlier generation (a run in
     * flight while the segment was deleted wrote it back after the delete) does not count: the segment created again
     * is captured anew. An entry written before generations were kept counts as the same.
     */
    private static boolean sameVersion(Document published, CapturedRecord record) {
        if (published == null || !record.contentHash().equals(published.getString("content_hash"))) {
            return false;
        }
        return CapturedRecord.sameGeneration(published.getString("generation"), record.generation());
    }

    /** Remembers the content of records Kafka has acknowledged. */
    public void published(ProcessorRun run, List<CapturedRecord> records) {
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
        collection(run).bulkWrite(writes);
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
