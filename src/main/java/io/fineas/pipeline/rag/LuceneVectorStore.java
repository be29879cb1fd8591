package io.fineas.pipeline.rag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene912.Lucene912Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.FieldExistsQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * The embedded default: a persistent Apache Lucene index under the data directory, searched with Lucene's HNSW
 * vector search and filtered by topic and segment. Each write is committed (fsync) before it returns, so a Kafka
 * offset committed after it never points past an unsaved vector, and a restart finds everything.
 */
public final class LuceneVectorStore implements VectorStore {

    /** The indexed field of a chunk's segment generation (VectorStore#delete of one generation). */
    private static final String GENERATION = "generation";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LuceneVectorStore.class);
    private static final String BODY = "body";
    /** A query's words beyond this many are left out of its keyword query (BooleanQuery allows 1,024 clauses). */
    static final int MAX_QUERY_TERMS = 256;
    private final Path dir;
    private final Directory directory;
    private final KnnVectorsFormat vectorsFormat;
    /** Made anew when an I/O error (a full disk) closed the one before: see {@link #open()}. */
    private volatile IndexWriter writer;
    private volatile SearcherManager searchers;
    private final int candidates;
    private final VectorFormat format;

    /**
     * How the HNSW graph's vectors are kept: {@code float} (32-bit, exact scores), or scalar-quantized to 7 bits per
     * dimension ({@code int7}: a quarter of the memory a search touches; the floats stay on disk for merges). Segments
     * written in one format stay readable after a change to the other; new ones take the new one.
     */
    public enum VectorFormat {
        FLOAT, INT7;

        public static VectorFormat parse(String name) {
            for (VectorFormat f : values()) {
                if (f.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                    return f;
                }
            }
            throw new IllegalArgumentException("Unknown RAG_VECTOR_FORMAT '" + name + "': use float or int7");
        }

        KnnVectorsFormat lucene() {
            return this == INT7 ? new Lucene99HnswScalarQuantizedVectorsFormat() : new Lucene99HnswVectorsFormat();
        }
    }

    public LuceneVectorStore(Path dir) {
        this(dir, 100, VectorFormat.FLOAT);
    }

    /**
     * @param candidates how many nearest neighbours the HNSW search collects before the best k are kept (its
     *                   beam width; more is slower and closer to exact search)
     */
    public LuceneVectorStore(Path dir, int candidates, VectorFormat format) {
        this(dir, candidates, format, d -> d);
    }

    /** @param wrap what the index's directory is seen through (tests: a disk that fills up) */
    LuceneVectorStore(Path dir, int candidates, VectorFormat format,
            java.util.function.UnaryOperator<Directory> wrap) {
        this.dir = dir;
        this.candidates = candidates;
        this.format = format;
        this.vectorsFormat = format.lucene();
        try {
            Files.createDirectories(dir);
            directory = wrap.apply(FSDirectory.open(dir));
            open();
            int upgraded = indexWordsOfOlderChunks();
            if (upgraded > 0) {
                LOG.info("Indexed the words of {} chunks stored before keyword search existed", upgraded);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the vector index at " + dir, e);
        } catch (UncheckedIOException e) {
            throw new UncheckedIOException("cannot open the vector index at " + dir, e.getCause());
        }
    }

    /** A writer and its searchers on the index as last committed. */
    private void open() throws IOException {
        IndexWriter w = new IndexWriter(directory, new IndexWriterConfig()
                .setCodec(new Lucene912Codec() {
                    @Override
                    public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
                        return vectorsFormat;
                    }
                })
                .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
        searchers = new SearcherManager(w, null);
        writer = w;
    }

    /**
     * An I/O error while writing (the disk full) closes Lucene's writer for good: every later write and search would
     * fail until a restart. It is opened again here, on the last commit (what was not committed was not acknowledged
     * either: its Kafka records are polled again), once the error's cause allows (space again).
     */
    private synchronized void reopenIfClosed() {
        if (writer.isOpen()) {
            return;
        }
        LOG.warn("The vector index's writer was closed by an I/O error ({}); opening it again",
                String.valueOf(writer.getTragicException()));
        try {
            try {
                searchers.close();
            } catch (IOException | RuntimeException ignored) {
                // the old searchers go with the old writer
            }
            open();
        } catch (IOException e) {
            throw new UncheckedIOException("the vector index cannot be opened again (is the disk full?)", e);
        }
    }

    @Override
    public void upsert(List<Chunk> chunks, List<float[]> vectors) {
        reopenIfClosed();
        try {
            for (int i = 0; i < chunks.size(); i++) {
                Chunk c = chunks.get(i);
                Object fingerprint = c.metadata().get(Chunk.FINGERPRINT);
                writer.updateDocument(new Term("id", c.id()), document(c.id(), c.topic(), c.segment(), c.index(),
                        c.text(), JSON.writeValueAsString(c.metadata()),
                        fingerprint == null ? null : fingerprint.toString(), c.metadata().get("generation"),
                        vectors.get(i)));
            }
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Document document(String id, String topic, String segment, int index, String text,
            String metadata, String fingerprint, Object generation, float[] vector) {
        Document d = new Document();
        d.add(new StringField("id", id, Field.Store.YES));
        d.add(new StringField("topic", topic, Field.Store.NO));
        d.add(new StringField("segment", segment, Field.Store.NO));
        d.add(new IntPoint("chunk_index", index));
        d.add(new StoredField("text", text));
        // the words, for BM25 keyword search (by the writer's analyzer: IndexWriterConfig's default, StandardAnalyzer)
        d.add(new TextField(BODY, text, Field.Store.NO));
        d.add(new StoredField("metadata", metadata));
        if (fingerprint != null) {
            d.add(new StoredField(Chunk.FINGERPRINT, fingerprint));
        }
        if (generation instanceof String g && !g.isEmpty()) {
            // found by its generation: a segment's deletion removes that generation's chunks only
            d.add(new StringField(GENERATION, g, Field.Store.NO));
        }
        d.add(new KnnFloatVectorField("vector", vector, VectorSimilarityFunction.COSINE));
        return d;
    }

    /**
     * Chunks stored before the index held their words (keyword search came later) are indexed for it once, at open:
     * each is written again from what the index stores (its text, metadata and vector), so no record has to be
     * captured or embedded again. Returns how many.
     */
    int indexWordsOfOlderChunks() throws IOException {
        Query withoutWords = new BooleanQuery.Builder()
                .add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER)
                .add(new FieldExistsQuery(BODY), BooleanClause.Occur.MUST_NOT).build();
        int done = searching(searcher -> {
            int written = 0;
            Weight weight = searcher.createWeight(searcher.rewrite(withoutWords), ScoreMode.COMPLETE_NO_SCORES, 1);
            for (LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
                Scorer scorer = weight.scorer(leaf);
                FloatVectorValues vectors = leaf.reader().getFloatVectorValues("vector");
                if (scorer == null || vectors == null) {
                    continue;
                }
                DocIdSetIterator docs = scorer.iterator();
                for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                    int at = vectors.docID() < doc ? vectors.advance(doc) : vectors.docID();
                    if (at != doc) {
                        continue;
                    }
                    Document stored = leaf.reader().storedFields().document(doc);
                    var metadata = metadata(stored.get("metadata"));
                    String id = stored.get("id");
                    writer.updateDocument(new Term("id", id), document(id, (String) metadata.get("topic"),
                            (String) metadata.get("segment"), ((Number) metadata.get("chunk_index")).intValue(),
                            stored.get("text"), stored.get("metadata"), stored.get(Chunk.FINGERPRINT),
                            metadata.get("generation"), vectors.vectorValue().clone()));
                    written++;
                }
            }
            return written;
        });
        if (done > 0) {
            commit();
        }
        return done;
    }

    @Override
    public Map<String, String> fingerprints(String topic, List<String> chunkIds) {
        return searching(searcher -> {
            Map<String, String> out = new HashMap<>();
            for (String id : chunkIds) {
                TopDocs top = searcher.search(new TermQuery(new Term("id", id)), 1);
                if (top.scoreDocs.length > 0) {
                    String fingerprint = searcher.storedFields().document(top.scoreDocs[0].doc,
                            Set.of(Chunk.FINGERPRINT)).get(Chunk.FINGERPRINT);
                    if (fingerprint != null) {
                        out.put(id, fingerprint);
                    }
                }
            }
            return out;
        });
    }

    /** What a search of the index answers: the work runs on a current searcher, released after it. */
    private interface SearchWork<T> {
        T on(IndexSearcher searcher) throws IOException;
    }

    private <T> T searching(SearchWork<T> work) {
        reopenIfClosed();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                return work.on(searcher);
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void removeStale(String topic, String segment, String source, int fromIndex) {
        delete(new BooleanQuery.Builder()
                .add(new PrefixQuery(new Term("id", Chunk.sourcePrefix(topic, segment, source))), BooleanClause.Occur.FILTER)
                .add(IntPoint.newRangeQuery("chunk_index", fromIndex, Integer.MAX_VALUE), BooleanClause.Occur.FILTER)
                .build());
    }

    @Override
    public void delete(String topic, String segment) {
        delete(filter(topic, segment));
    }

    @Override
    public void delete(String topic, String segment, String generation) {
        if (generation == null || segment == null) {
            delete(topic, segment);
            return;
        }
        // this generation's chunks, and those indexed without a generation (written before they were kept)
        Query withoutGeneration = new BooleanQuery.Builder().add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER)
                .add(new TermRangeQuery(GENERATION, null, null, true, true), BooleanClause.Occur.MUST_NOT).build();
        delete(new BooleanQuery.Builder().add(filter(topic, segment), BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(GENERATION, generation)), BooleanClause.Occur.SHOULD)
                .add(withoutGeneration, BooleanClause.Occur.SHOULD).setMinimumNumberShouldMatch(1).build());
    }

    private void delete(Query query) {
        reopenIfClosed();
        try {
            writer.deleteDocuments(query);
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void commit() throws IOException {
        writer.commit();
        searchers.maybeRefreshBlocking();
    }

    /** Waits for the background merges under way (a benchmark measures a settled index). */
    public void settle() throws IOException {
        if (writer.getConfig().getMergeScheduler() instanceof org.apache.lucene.index.ConcurrentMergeScheduler cms) {
            do {
                writer.maybeMerge();
                cms.sync();
            } while (writer.hasPendingMerges() || cms.mergeThreadCount() > 0);
        }
        commit();
    }

    @Override
    public List<SearchHit> search(float[] query, int k, String topic, String segment) {
        return search(query, k, topic, segment, candidates);
    }

    /** As {@link #search(float[], int, String, String)}, with the HNSW beam width given. */
    public List<SearchHit> search(float[] query, int k, String topic, String segment, int beam) {
        Query filter = topic == null && segment == null ? null : filter(topic, segment);
        return searching(searcher -> hits(searcher, searcher.search(new KnnFloatVectorQuery("vector", query,
                Math.max(k, beam), filter), k)));
    }

    @Override
    public java.util.Optional<SearchHit> get(String chunkId, List<String> topics) {
        return searching(searcher -> hits(searcher, searcher.search(new TermQuery(new Term("id", chunkId)), 1)))
                .stream().findFirst().map(h -> new SearchHit(h.id(), 0, h.text(), h.metadata()));
    }

    @Override
    public boolean searchesKeywords() {
        return true;
    }

    @Override
    public List<SearchHit> keywordSearch(String text, int k, String topic, String segment) {
        BooleanQuery.Builder words = new BooleanQuery.Builder();
        int terms = 0;
        // the query's words as the chunks' words were indexed: by the writer's analyzer
        try (TokenStream tokens = writer.getAnalyzer().tokenStream(BODY, text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken() && terms++ < MAX_QUERY_TERMS) {
                words.add(new TermQuery(new Term(BODY, term.toString())), BooleanClause.Occur.SHOULD);
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (terms == 0) {
            return List.of();
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(words.build(), BooleanClause.Occur.MUST);
        if (topic != null || segment != null) {
            query.add(filter(topic, segment), BooleanClause.Occur.FILTER);
        }
        return searching(searcher -> hits(searcher, searcher.search(query.build(), k)));
    }

    private static Map<String, Object> metadata(String json) throws IOException {
        return JSON.readValue(json, new TypeReference<>() {
        });
    }

    private static List<SearchHit> hits(IndexSearcher searcher, TopDocs top) throws IOException {
        List<SearchHit> hits = new ArrayList<>();
        for (ScoreDoc sd : top.scoreDocs) {
            Document d = searcher.storedFields().document(sd.doc);
            hits.add(new SearchHit(d.get("id"), sd.score, d.get("text"), metadata(d.get("metadata"))));
        }
        return hits;
    }

    /** How many chunks are stored (for tests and the status). */
    public int count() {
        return searching(searcher -> searcher.getIndexReader().numDocs());
    }

    @Override
    public long count(String topic) {
        return searching(searcher -> (long) searcher.count(new TermQuery(new Term("topic", topic))));
    }

    private static Query filter(String topic, String segment) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        if (topic != null) {
            b.add(new TermQuery(new Term("topic", topic)), BooleanClause.Occur.FILTER);
        }
        if (segment != null) {
            b.add(new TermQuery(new Term("segment", segment)), BooleanClause.Occur.FILTER);
        }
        return b.build();
    }

    @Override
    public String describe() {
        return "embedded Lucene HNSW index (" + format.name().toLowerCase(java.util.Locale.ROOT) + " vectors) at "
                + dir.toAbsolutePath();
    }

    @Override
    /**
     * Closes without waiting for background merges: every write is committed already, so the writer is rolled back
     * (which aborts the merges under way; Lucene's commit point is what the next open reads). Closing the writer would
     * wait for them, minutes on a large index, past any container's stop grace period.
     */
    public void close() {
        try {
            searchers.close();
            if (writer.hasUncommittedChanges()) {
                writer.commit();
            }
            writer.rollback();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
