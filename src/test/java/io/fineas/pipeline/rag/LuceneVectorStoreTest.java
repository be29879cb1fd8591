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
}
