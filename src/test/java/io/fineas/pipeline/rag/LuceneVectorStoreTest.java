package io.fineas.pipeline.rag;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class LuceneVectorStoreTest {

    private static Chunk chunk(String topic, String segment, String source, int i, String text) {
        return new Chunk(Chunk.id(topic, segment, source, i), topic, segment, source, i, text,
                Map.of("topic", topic, "segment", segment, "source", source, "chunk_index", i));
    }

    @Test
    void aRestartKeepsTheIndexAndFiltersApply(@TempDir Path dir) {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            store.upsert(List.of(chunk("t", "a", "s1", 0, "one"), chunk("t", "b", "s2", 0, "two"),
                    chunk("u", "a", "s3", 0, "three")),
                    List.of(new float[] {1, 0, 0}, new float[] {0, 1, 0}, new float[] {0, 0, 1}));
        }
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            assertThat(store.count()).isEqualTo(3);
            assertThat(store.search(new float[] {1, 0.1f, 0}, 5, null, null).get(0).text()).isEqualTo("one");
            assertThat(store.search(new float[] {1, 0, 0}, 5, "t", "b")).extracting(SearchHit::text)
                    .containsExactly("two");
            assertThat(store.search(new float[] {1, 0, 0}, 5, "u", null)).extracting(SearchHit::text)
                    .containsExactly("three");
            store.removeStale("t", "a", "s1", 0);
            store.delete("u", null);
            assertThat(store.count()).isEqualTo(1);
        }
    }

    @Test
    void keywordSearchFindsTheWordsAVectorDoesNotKnowWithinItsFiltersAndAfterARestart(@TempDir Path dir) {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            store.upsert(List.of(
                    chunk("t", "a", "s1", 0, "Part ZX-4471 was recalled by Acme Corp in March."),
                    chunk("t", "a", "s2", 0, "Acme Corp opened a plant in Lyon."),
                    chunk("t", "b", "s3", 0, "The ZX-4471 recall cost Acme 2 million euros."),
                    chunk("u", "a", "s4", 0, "Weather was mild.")),
                    List.of(new float[] {1, 0, 0}, new float[] {0.9f, 0.1f, 0}, new float[] {0, 1, 0},
                            new float[] {0, 0, 1}));
        }
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            assertThat(store.searchesKeywords()).isTrue();
            // the analyzer splits ZX-4471 into zx and 4471, both in the chunks that name the part
            assertThat(store.keywordSearch("zx-4471 recall", 5, null, null)).extracting(SearchHit::text)
                    .containsExactly("The ZX-4471 recall cost Acme 2 million euros.",
                            "Part ZX-4471 was recalled by Acme Corp in March.");
            assertThat(store.keywordSearch("ZX-4471", 5, "t", "a")).extracting(SearchHit::text)
                    .containsExactly("Part ZX-4471 was recalled by Acme Corp in March.");
            assertThat(store.keywordSearch("weather", 5, "t", null)).isEmpty();
            assertThat(store.keywordSearch("the a of", 5, null, null)).extracting(SearchHit::text)
                    .contains("The ZX-4471 recall cost Acme 2 million euros.");
            assertThat(store.keywordSearch("  ...  ", 5, null, null)).isEmpty();
            assertThat(store.keywordSearch("lyon", 5, null, null)).singleElement()
                    .satisfies(h -> assertThat(h.metadata()).containsEntry("source", "s2"));
        }
    }

    @Test
    void chunksStoredBeforeKeywordSearchAreIndexedForItAtOpenWithoutBeingEmbeddedAgain(@TempDir Path dir)
            throws Exception {
        // an index as the store wrote it before: no words field
        try (var directory = org.apache.lucene.store.FSDirectory.open(dir);
                var writer = new org.apache.lucene.index.IndexWriter(directory,
                        new org.apache.lucene.index.IndexWriterConfig())) {
            for (int i = 0; i < 3; i++) {
                Chunk c = chunk("t", "a", "s" + i, 0, i == 1 ? "Turbine T-900 failed its test." : "Other news " + i);
                var d = new org.apache.lucene.document.Document();
                d.add(new org.apache.lucene.document.StringField("id", c.id(),
                        org.apache.lucene.document.Field.Store.YES));
                d.add(new org.apache.lucene.document.StringField("topic", "t",
                        org.apache.lucene.document.Field.Store.NO));
                d.add(new org.apache.lucene.document.StringField("segment", "a",
                        org.apache.lucene.document.Field.Store.NO));
                d.add(new org.apache.lucene.document.IntPoint("chunk_index", 0));
                d.add(new org.apache.lucene.document.StoredField("text", c.text()));
                d.add(new org.apache.lucene.document.StoredField("metadata",
                        new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(c.metadata())));
                d.add(new org.apache.lucene.document.StoredField(Chunk.FINGERPRINT, "fp" + i));
                d.add(new org.apache.lucene.document.KnnFloatVectorField("vector", new float[] {i, 1, 0},
                        org.apache.lucene.index.VectorSimilarityFunction.COSINE));
                writer.addDocument(d);
            }
            writer.commit();
        }

        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            assertThat(store.count()).isEqualTo(3);
            assertThat(store.keywordSearch("T-900 turbine", 5, "t", "a")).singleElement()
                    .satisfies(h -> assertThat(h.metadata()).containsEntry("source", "s1"));
            // the rest of each chunk is as it was: its vector, its fingerprint, its filters
            assertThat(store.search(new float[] {1, 1, 0}, 1, "t", "a").get(0).metadata())
                    .containsEntry("source", "s1");
            assertThat(store.fingerprints("t", List.of(Chunk.id("t", "a", "s2", 0))))
                    .containsEntry(Chunk.id("t", "a", "s2", 0), "fp2");
            assertThat(store.indexWordsOfOlderChunks()).isZero();
        }
    }
}
