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

    /**
     * A segment's deletion removes the chunks of the deleted generation (and those stored without one), never those of
     * the segment created again: a deletion consumer that lags behind the re-create deleted the new chunks before.
     */
    @Test
    void aDeletionOfOneGenerationLeavesTheNextGenerationsChunks(@TempDir Path dir) {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            store.upsert(List.of(generation("old-a", "g1"), generation("old-b", "g1"), generation("new-a", "g2"),
                    chunk("t", "s", "legacy", 0, "legacy"), chunk("t", "other", "x", 0, "other segment")),
                    List.of(new float[] {1, 0, 0}, new float[] {0, 1, 0}, new float[] {0, 0, 1},
                            new float[] {1, 1, 0}, new float[] {0, 1, 1}));

            store.delete("t", "s", "g1");

            assertThat(store.search(new float[] {1, 1, 1}, 10, "t", null)).extracting(SearchHit::text)
                    .containsExactlyInAnyOrder("new-a", "other segment");
            store.delete("t", "s", null);
            assertThat(store.search(new float[] {1, 1, 1}, 10, "t", null)).extracting(SearchHit::text)
                    .containsExactly("other segment");
        }
    }

    private static Chunk generation(String source, String generation) {
        return new Chunk(Chunk.id("t", "s", source, 0), "t", "s", source, 0, source,
                Map.of("topic", "t", "segment", "s", "source", source, "chunk_index", 0, "generation", generation));
    }

    /**
     * The disk fills up while chunks are written: the write fails (its batch is retried, never acknowledged), Lucene's
     * writer is closed by the I/O error, and once there is space again the next write opens it anew: the index takes
     * writes and answers searches without a restart (every later call failed on the closed writer before).
     */
    @Test
    void aWriterClosedByAFullDiskIsOpenedAgainWhenThereIsSpace(@TempDir Path dir) {
        java.util.concurrent.atomic.AtomicBoolean full = new java.util.concurrent.atomic.AtomicBoolean();
        try (LuceneVectorStore store = new LuceneVectorStore(dir, 100, LuceneVectorStore.VectorFormat.FLOAT,
                d -> new FillingDirectory(d, full))) {
            store.upsert(List.of(chunk("t", "s", "a", 0, "before")), List.of(new float[] {1, 0, 0}));
            full.set(true);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.upsert(
                    List.of(chunk("t", "s", "b", 0, "while full")), List.of(new float[] {0, 1, 0})))
                    .hasStackTraceContaining("No space left on device");
            full.set(false);

            store.upsert(List.of(chunk("t", "s", "b", 0, "after")), List.of(new float[] {0, 1, 0}));

            assertThat(store.search(new float[] {1, 1, 0}, 5, "t", null)).extracting(SearchHit::text)
                    .containsExactlyInAnyOrder("before", "after");
        }
        try (LuceneVectorStore reopened = new LuceneVectorStore(dir)) {
            assertThat(reopened.count()).isEqualTo(2);
        }
    }

    /** A directory on a disk that fills up: while {@code full}, every write of a file fails as the OS would. */
    private static final class FillingDirectory extends org.apache.lucene.store.FilterDirectory {
        private final java.util.concurrent.atomic.AtomicBoolean full;

        FillingDirectory(org.apache.lucene.store.Directory in, java.util.concurrent.atomic.AtomicBoolean full) {
            super(in);
            this.full = full;
        }

        @Override
        public org.apache.lucene.store.IndexOutput createOutput(String name, org.apache.lucene.store.IOContext context)
                throws java.io.IOException {
            org.apache.lucene.store.IndexOutput out = super.createOutput(name, context);
            return new org.apache.lucene.store.IndexOutput("filling(" + name + ")", name) {
                private void check() throws java.io.IOException {
                    if (full.get()) {
                        throw new java.io.IOException("No space left on device");
                    }
                }

                @Override
                public void writeByte(byte b) throws java.io.IOException {
                    check();
                    out.writeByte(b);
                }

                @Override
                public void writeBytes(byte[] b, int offset, int length) throws java.io.IOException {
                    check();
                    out.writeBytes(b, offset, length);
                }

                @Override
                public long getFilePointer() {
                    return out.getFilePointer();
                }

                @Override
                public long getChecksum() throws java.io.IOException {
                    return out.getChecksum();
                }

                @Override
                public void close() throws java.io.IOException {
                    out.close();
                }
            };
        }
    }
}
