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
import io.fineas.pipeline.common.Hashes;

/**
 * Turns a batch of captured records into stored chunks: text extraction, langchain4j's recursive splitter, one
 * embedAll over every chunk of the batch (so the model works on large batches and both cores stay busy), then the
 * upsert and the removal of chunks a shorter new version no longer has.
 *
 * <p>Exactly one effect per record: a source whose stored chunks carry the fingerprint this record would give (same
 * text, same model and splitter) is {@code unchanged} and costs no embedding (a replay after a crash, a re-collect of
 * the same data). The fingerprint is written with the source's first chunk, after its other chunks and the removal of
 * stale ones, so a crash half way through a source leaves no fingerprint that claims it done.
 *
 * <p>A record of a segment deleted meanwhile, or of an earlier creation of it ({@link LiveSegments}), is dropped as
 * {@code stale}: nothing of a deleted segment comes back.
 *
 * <p>A record that cannot be ingested (not JSON, no text, too large, refused by the model or by the store) is
 * returned as a failure with its reason, for the dead-letter topic; the rest of the batch is stored. A model or store
 * that fails for every record is a fault of the stage and is thrown, for a retry.
 */
public final class Ingestion {

    /** What a batch came to: records and chunks stored, records already stored as they are, and those refused. */
    public record Result(int records, int chunks, int unchanged, int stale, List<Refusal> failures) {
    }

    /** One source of the batch, split into chunks (compared by identity: a map key while it is embedded). */
    private static final class Prepared {
        private final RecordText record;
        private final List<Chunk> chunks;
        private final String raw;
        private final Fingerprint fingerprint;

        Prepared(RecordText record, List<Chunk> chunks, String raw, Fingerprint fingerprint) {
            this.record = record;
            this.chunks = chunks;
            this.raw = raw;
            this.fingerprint = fingerprint;
        }

        Fingerprint fingerprint() {
            return fingerprint;
        }

        String topic() {
            return record.record().topic();
        }

        String segment() {
            return record.record().segment();
        }

        String source() {
            return record.record().sourceId();
        }

        List<Chunk> chunks() {
            return chunks;
        }

        String raw() {
            return raw;
        }
    }

    private final EmbeddingModel model;
    private final DocumentSplitter splitter;
    private final VectorStore store;
    /** The longest paragraph the splitter is given (TextExtraction.boundedParagraphs). */
    static final int MAX_PARAGRAPH_CHARS = 4000;
    private final int maxRecordChars;
    private final int maxTextChars;
    private final String dataTopicPrefix;
    private final String signature;
    private final LiveSegments live;

    /**
     * @param signature what else than the text makes the chunks (model name, splitter settings): a change of it
     *                  re-embeds every record that comes again
     * @param live      whether a record's segment (and generation) is still there: a record of a deleted segment, or
     *                  of an earlier creation of it, is dropped as stale
     */
    public Ingestion(EmbeddingModel model, DocumentSplitter splitter, VectorStore store, int maxRecordChars,
            String signature, LiveSegments live) {
        this(model, splitter, store, maxRecordChars, Math.min(maxRecordChars, RecordText.DEFAULT_MAX_TEXT_CHARS),
                "data-", signature, live);
    }

    /** @param maxTextChars the most text read from one record (its first characters; the rest is not indexed) */
    public Ingestion(EmbeddingModel model, DocumentSplitter splitter, VectorStore store, int maxRecordChars,
            int maxTextChars, String dataTopicPrefix, String signature, LiveSegments live) {
        this.maxTextChars = maxTextChars;
        this.dataTopicPrefix = dataTopicPrefix;
        this.live = live;
        this.model = model;
        this.splitter = splitter;
        this.store = store;
        this.maxRecordChars = maxRecordChars;
        this.signature = signature;
    }

    public Result ingest(List<String> records) {
        return ingest(records, null);
    }

    /**
     * @param kafkaTopics the Kafka topic each record was read from (the same order), which the record's own topic
     *                    must match (a record that names another topic is refused); null: not checked
     */
    public Result ingest(List<String> records, List<String> kafkaTopics) {
        Map<String, Prepared> bySource = new LinkedHashMap<>();
        List<Refusal> failures = new ArrayList<>();
        LiveSegments liveness = live.memoized();
        int stale = 0;
        for (int i = 0; i < records.size(); i++) {
            String raw = records.get(i);
            try {
                Prepared p = prepare(raw, kafkaTopics == null ? null : kafkaTopics.get(i));
                if (!liveness.isLive(p.topic(), p.segment(), p.record.record().generation())) {
                    stale++;
                    continue;
                }
                // the newest captured version of a source in the batch is the one that counts (of equal ones, the last)
                Prepared other = bySource.get(p.chunks().get(0).id());
                if (other != null && p.fingerprint().olderThan(other.fingerprint())) {
                    stale++;
                    continue;
                }
                bySource.remove(p.chunks().get(0).id());
                bySource.put(p.chunks().get(0).id(), p);
            } catch (IllegalArgumentException e) {
                failures.add(new Refusal(raw, e.getMessage()));
            }
        }
        int[] superseded = new int[1];
        int unchanged = dropUnchanged(bySource, superseded);
        Map<Prepared, List<float[]>> embedded = embed(bySource, failures);
        int chunks = store(embedded, failures);
        return new Result(embedded.size(), chunks, unchanged, stale + superseded[0], failures);
    }

    /**
     * Removes the sources whose stored chunks already carry this record's content (unchanged; how many is returned),
     * and those whose stored version was captured after this one (superseded: counted in {@code superseded[0]}).
     */
    private int dropUnchanged(Map<String, Prepared> bySource, int[] superseded) {
        Map<String, List<String>> idsByTopic = new LinkedHashMap<>();
        bySource.values().forEach(p -> idsByTopic.computeIfAbsent(p.topic(), t -> new ArrayList<>())
                .add(p.chunks().get(0).id()));
        Map<String, String> stored = new LinkedHashMap<>();
        idsByTopic.forEach((topic, ids) -> stored.putAll(store.fingerprints(topic, ids)));
        int unchanged = 0;
        for (var it = bySource.values().iterator(); it.hasNext();) {
            Prepared p = it.next();
            Fingerprint there = Fingerprint.parse(stored.get(p.chunks().get(0).id()));
            if (p.fingerprint().sameVersionAs(there)) {
                unchanged++;
                it.remove();
            } else if (p.fingerprint().olderThan(there)) {
                superseded[0]++;
                it.remove();
            }
        }
        return unchanged;
    }

    /**
     * One embedAll over the whole batch; if it fails, record by record, so that one record the model cannot take is
     * refused alone. If every record fails the model itself is down, which is thrown to be retried. A record that
     * failed while a later one succeeded may have met the end of an outage, not a fault of its own: it is tried once
     * more before it is refused.
     */
    private Map<Prepared, List<float[]>> embed(Map<String, Prepared> bySource, List<Refusal> failures) {
        Map<Prepared, List<float[]>> out = new LinkedHashMap<>();
        if (bySource.isEmpty()) {
            return out;
        }
        try {
            List<Chunk> all = new ArrayList<>();
            bySource.values().forEach(p -> all.addAll(p.chunks()));
            List<float[]> vectors = embed(all);
            int at = 0;
            for (Prepared p : bySource.values()) {
                out.put(p, vectors.subList(at, at + p.chunks().size()));
                at += p.chunks().size();
            }
            return out;
        } catch (RuntimeException batchFailure) {
            List<Prepared> failed = new ArrayList<>();
            for (Prepared p : bySource.values()) {
                try {
                    out.put(p, embed(p.chunks()));
                } catch (RuntimeException e) {
                    failed.add(p);
                }
            }
            if (out.isEmpty()) {
                throw batchFailure;
            }
            for (Prepared p : failed) {
                try {
                    out.put(p, embed(p.chunks()));
                } catch (RuntimeException e) {
                    failures.add(new Refusal(p.raw(), "embedding failed: " + e.getMessage()));
                }
            }
            return out;
        }
    }

    /**
     * Stores the embedded sources; if the store refuses the batch for the sake of its data (IllegalArgumentException),
     * source by source, so that the one it refuses goes to the failures and the others are stored. Any other failure
     * (store unreachable, disk) is thrown, for a retry of the whole batch. The number of chunks stored.
     */
    private int store(Map<Prepared, List<float[]>> embedded, List<Refusal> failures) {
        if (embedded.isEmpty()) {
            return 0;
        }
        try {
            return write(embedded);
        } catch (IllegalArgumentException batchRefused) {
            int chunks = 0;
            for (var it = embedded.entrySet().iterator(); it.hasNext();) {
                var e = it.next();
                try {
                    chunks += write(Map.of(e.getKey(), e.getValue()));
                } catch (IllegalArgumentException refused) {
                    it.remove();
                    failures.add(new Refusal(e.getKey().raw(), "the vector store refused it: " + refused.getMessage()));
                }
            }
            return chunks;
        }
    }

    /** Every chunk but the first of each source, then the stale ones removed, then the first chunks (fingerprints). */
    private int write(Map<Prepared, List<float[]>> embedded) {
        List<Chunk> rest = new ArrayList<>();
        List<float[]> restVectors = new ArrayList<>();
        List<Chunk> first = new ArrayList<>();
        List<float[]> firstVectors = new ArrayList<>();
        embedded.forEach((p, vectors) -> {
            first.add(p.chunks().get(0));
            firstVectors.add(vectors.get(0));
            rest.addAll(p.chunks().subList(1, p.chunks().size()));
            restVectors.addAll(vectors.subList(1, vectors.size()));
        });
        if (!rest.isEmpty()) {
            store.upsert(rest, restVectors);
        }
        for (Prepared p : embedded.keySet()) {
            store.removeStale(p.topic(), p.segment(), p.source(), p.chunks().size());
        }
        store.upsert(first, firstVectors);
        return first.size() + rest.size();
    }


    private List<float[]> embed(List<Chunk> chunks) {
        return model.embedAll(chunks.stream().map(c -> TextSegment.from(c.text())).toList()).content().stream()
                .map(Embedding::vector).toList();
    }

    private Prepared prepare(String raw, String kafkaTopic) {
        if (raw == null || raw.length() > maxRecordChars) {
            throw new IllegalArgumentException(raw == null ? "empty record"
                    : "record of " + raw.length() + " characters is larger than the limit of " + maxRecordChars);
        }
        RecordText record = RecordText.parse(raw, maxTextChars).requireFrom(kafkaTopic, dataTopicPrefix);
        String topic = record.record().topic();
        String segment = record.record().segment();
        String sourceId = record.record().sourceId();
        String text = TextExtraction.boundedParagraphs(record.text(), MAX_PARAGRAPH_CHARS);
        // each chunk with the headings it stands under (a page's title, its section): context, never answer text
        List<String> segments = HeadingContext.apply(text, splitter.split(Document.from(text)).stream()
                .map(TextSegment::text).toList());
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("the record has no text");
        }
        Fingerprint fingerprint = new Fingerprint(Hashes.sha256Hex(signature + '\u0000' + record.text()),
                Fingerprint.millis(record.record().capturedAt()), record.record().generation());
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            Map<String, Object> metadata = record.provenance();
            metadata.put("chunk_index", i);
            metadata.put("chunk_count", segments.size());
            if (i == 0) {
                metadata.put(Chunk.FINGERPRINT, fingerprint.toString());
            }
            chunks.add(new Chunk(Chunk.id(topic, segment, sourceId, i), topic, segment, sourceId, i,
                    segments.get(i), metadata));
        }
        return new Prepared(record, chunks, raw, fingerprint);
    }
}
