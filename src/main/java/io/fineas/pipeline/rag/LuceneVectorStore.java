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
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.IntPoint;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.FSDirectory;

/**
 * The embedded default: a persistent Apache Lucene index under the data directory, searched with Lucene's HNSW
 * vector search and filtered by topic and segment. Each write is committed (fsync) before it returns, so a Kafka
 * offset committed after it never points past an unsaved vector, and a restart finds everything.
 */
public final class LuceneVectorStore implements VectorStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;
    private final FSDirectory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final int candidates;

    public LuceneVectorStore(Path dir) {
        this(dir, 100);
    }

    /**
     * @param candidates how many nearest neighbours the HNSW search collects before the best k are kept (its
     *                   beam width; more is slower and closer to exact search)
     */
    public LuceneVectorStore(Path dir, int candidates) {
        this.dir = dir;
        this.candidates = candidates;
        try {
            Files.createDirectories(dir);
            directory = FSDirectory.open(dir);
            writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the vector index at " + dir, e);
        }
    }

    @Override
    public void upsert(List<Chunk> chunks, List<float[]> vectors) {
        try {
            for (int i = 0; i < chunks.size(); i++) {
                Chunk c = chunks.get(i);
                Document d = new Document();
                d.add(new StringField("id", c.id(), Field.Store.YES));
                d.add(new StringField("topic", c.topic(), Field.Store.NO));
                d.add(new StringField("segment", c.segment(), Field.Store.NO));
                d.add(new IntPoint("chunk_index", c.index()));
                d.add(new StoredField("text", c.text()));
                d.add(new StoredField("metadata", JSON.writeValueAsString(c.metadata())));
                Object fingerprint = c.metadata().get(Chunk.FINGERPRINT);
                if (fingerprint != null) {
                    d.add(new StoredField(Chunk.FINGERPRINT, fingerprint.toString()));
                }
                d.add(new KnnFloatVectorField("vector", vectors.get(i), VectorSimilarityFunction.COSINE));
                writer.updateDocument(new Term("id", c.id()), d);
            }
            commit();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> fingerprints(String topic, List<String> chunkIds) {
        Map<String, String> out = new HashMap<>();
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
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

    private void delete(Query query) {
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

    @Override
    public List<SearchHit> search(float[] query, int k, String topic, String segment) {
        return search(query, k, topic, segment, candidates);
    }

    /** As {@link #search(float[], int, String, String)}, with the HNSW beam width given. */
    public List<SearchHit> search(float[] query, int k, String topic, String segment, int beam) {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                Query filter = topic == null && segment == null ? null : filter(topic, segment);
                TopDocs top = searcher.search(new KnnFloatVectorQuery("vector", query, Math.max(k, beam), filter),
                        k);
                List<SearchHit> hits = new ArrayList<>();
                for (ScoreDoc sd : top.scoreDocs) {
                    Document d = searcher.storedFields().document(sd.doc);
                    Map<String, Object> metadata = JSON.readValue(d.get("metadata"), new TypeReference<>() {
                    });
                    hits.add(new SearchHit(d.get("id"), sd.score, d.get("text"), metadata));
                }
                return hits;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** How many chunks are stored (for tests and the status). */
    public int count() {
        try {
            IndexSearcher searcher = searchers.acquire();
            try {
                return searcher.getIndexReader().numDocs();
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        return "embedded Lucene HNSW index at " + dir.toAbsolutePath();
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
