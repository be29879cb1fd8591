package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;

/**
 * Turns a batch of captured records into stored chunks: text extraction, langchain4j's recursive splitter, one
 * embedAll over every chunk of the batch (so the model works on large batches and both cores stay busy), then the
 * upsert and the removal of chunks a shorter new version no longer has. A record that cannot be ingested (not JSON,
 * no text, too large) is returned as a failure with its reason, for the dead-letter topic; the rest of the batch is
 * stored.
 */
public final class Ingestion {

    /** What a batch came to: records and chunks stored, and the records refused with their reason. */
    public record Result(int records, int chunks, List<Map<String, Object>> failures) {
    }

    private record Prepared(String topic, String segment, String source, List<Chunk> chunks, String raw) {
    }

    private final EmbeddingModel model;
    private final DocumentSplitter splitter;
    private final VectorStore store;
    private final int maxRecordChars;

    public Ingestion(EmbeddingModel model, DocumentSplitter splitter, VectorStore store, int maxRecordChars) {
        this.model = model;
        this.splitter = splitter;
        this.store = store;
        this.maxRecordChars = maxRecordChars;
    }

    public Result ingest(List<String> records) {
        Map<String, Prepared> bySource = new LinkedHashMap<>();
        List<Map<String, Object>> failures = new ArrayList<>();
        for (String raw : records) {
            try {
                Prepared p = prepare(raw);
                bySource.remove(p.topic() + '\u0000' + p.segment() + '\u0000' + p.source());
                bySource.put(p.topic() + '\u0000' + p.segment() + '\u0000' + p.source(), p);
            } catch (IllegalArgumentException e) {
                failures.add(failure(raw, e.getMessage()));
            }
        }
        List<Chunk> chunks = new ArrayList<>();
        List<float[]> vectors = new ArrayList<>();
        try {
            bySource.values().forEach(p -> chunks.addAll(p.chunks()));
            vectors.addAll(embed(chunks));
        } catch (RuntimeException batchFailure) {
            // one record the model cannot take must not stall the batch: embed record by record, refuse the ones
            // that fail; if every record fails the model itself is down, which is retried as a transient fault
            chunks.clear();
            vectors.clear();
            for (var it = bySource.entrySet().iterator(); it.hasNext();) {
                Prepared p = it.next().getValue();
                try {
                    vectors.addAll(embed(p.chunks()));
                    chunks.addAll(p.chunks());
                } catch (RuntimeException e) {
                    it.remove();
                    failures.add(failure(p.raw(), "embedding failed: " + e.getMessage()));
                }
            }
            if (bySource.isEmpty()) {
                throw batchFailure;
            }
        }
        if (!chunks.isEmpty()) {
            store.upsert(chunks, vectors);
            for (Prepared p : bySource.values()) {
                store.removeStale(p.topic(), p.segment(), p.source(), p.chunks().size());
            }
        }
        return new Result(bySource.size(), chunks.size(), failures);
    }

    private static Map<String, Object> failure(String record, String reason) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("record", record);
        f.put("reason", reason);
        return f;
    }

    private List<float[]> embed(List<Chunk> chunks) {
        return model.embedAll(chunks.stream().map(c -> TextSegment.from(c.text())).toList()).content().stream()
                .map(Embedding::vector).toList();
    }

    private Prepared prepare(String raw) {
        if (raw == null || raw.length() > maxRecordChars) {
            throw new IllegalArgumentException(raw == null ? "empty record"
                    : "record of " + raw.length() + " characters is larger than the limit of " + maxRecordChars);
        }
        CapturedRecord record = CapturedRecord.parse(raw);
        String topic = record.topic();
        String segment = record.segment();
        String sourceId = record.sourceId();
        List<TextSegment> segments = splitter.split(Document.from(record.text()));
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Map<String, Object> metadata = record.provenance();
            metadata.put("source_kind", ((Map<?, ?>) record.get("source")).get("kind"));
            metadata.put("parameters", record.get("parameters"));
            metadata.put("chunk_index", i);
            metadata.put("chunk_count", segments.size());
            chunks.add(new Chunk(Chunk.id(topic, segment, sourceId, i), topic, segment, sourceId, i,
                    segments.get(i).text(), metadata));
        }
        return new Prepared(topic, segment, sourceId, chunks, raw);
    }
}
