package io.fineas.pipeline.rag;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.model.output.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A record the embedding model or the store cannot take does not stall its batch: the real model and the real index,
 * with the model refusing one marked text (as a model refuses input it cannot process) or a store refusing one
 * record's chunks (as Pinecone refuses metadata over 40 KB). A record stored already is not embedded again.
 */
class IngestionFailureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The real quantized model, refusing any batch that holds the marker. */
    private static final class Refusing implements EmbeddingModel {
        private final EmbeddingModel real = new AllMiniLmL6V2QuantizedEmbeddingModel();
        private final String marker;

        Refusing(String marker) {
            this.marker = marker;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            if (segments.stream().anyMatch(s -> s.text().contains(marker))) {
                throw new IllegalStateException("input rejected by the model");
            }
            return real.embedAll(segments);
        }
    }

    private static String record(String source, String content) throws Exception {
        return JSON.writeValueAsString(Map.of("topic", "t", "segment", "s", "source", Map.of("id", source),
                "content_type", "text/plain", "content", content));
    }

    @Test
    void theRefusedRecordGoesToTheFailuresAndTheOthersAreStored(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing("UNEMBEDDABLE"), DocumentSplitters.recursive(800, 80),
                    store, 100_000, "test", LiveSegments.ALL);
            Ingestion.Result result = ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."),
                    record("b", "UNEMBEDDABLE text"), record("c", "Wheat harvest beat forecasts.")));

            assertThat(result.records()).isEqualTo(2);
            assertThat(result.failures()).hasSize(1);
            assertThat(result.failures().get(0).reason()).contains("embedding failed");
            assertThat(result.failures().get(0).record()).contains("UNEMBEDDABLE");
            assertThat(store.count()).isEqualTo(2);
        }
    }

    /**
     * A record names the topic of the Kafka topic it came from: one on data-t that says it is topic u's is refused
     * (it was stored and searchable as u's before, so whoever may publish to one data topic wrote into another).
     */
    @Test
    void aRecordThatNamesAnotherTopicThanItsKafkaTopicIsRefused(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing("NOTHING"), DocumentSplitters.recursive(800, 80),
                    store, 100_000, "test", LiveSegments.ALL);
            String forged = JSON.writeValueAsString(Map.of("topic", "u", "segment", "s", "source",
                    Map.of("id", "forged"), "content_type", "text/plain", "content", "Planted in u."));
            Ingestion.Result result = ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."), forged),
                    List.of("data-t", "data-t"));

            assertThat(result.records()).isEqualTo(1);
            assertThat(result.failures()).singleElement().satisfies(f -> assertThat(f.reason())
                    .contains("names topic 'u'").contains("data-t"));
            assertThat(store.count("u")).isZero();
            assertThat(store.count("t")).isEqualTo(1);
        }
    }

    /** The newest captured version of a source wins: in one batch, and against the stored one (a replay). */
    @Test
    void anOlderVersionNeverReplacesTheNewerChunks(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing("NOTHING"), DocumentSplitters.recursive(800, 80),
                    store, 100_000, "test", LiveSegments.ALL);
            String v1 = versioned("Version one of the copper note.", "2026-12-02T10:00:01Z");
            String v2 = versioned("Version two of the copper note.", "2026-12-02T10:00:02Z");
            String v3 = versioned("Version three of the copper note.", "2026-12-02T10:00:03Z");

            // a backlog: both versions in one batch, the newer first
            assertThat(ingestion.ingest(List.of(v2, v1)).stale()).isEqualTo(1);
            assertThat(text(store)).isEqualTo("Version two of the copper note.");
            // a replayed dead letter of the older version changes nothing
            Ingestion.Result replay = ingestion.ingest(List.of(v1));
            assertThat(replay.stale()).isEqualTo(1);
            assertThat(replay.chunks()).isZero();
            assertThat(text(store)).isEqualTo("Version two of the copper note.");
            // a newer one replaces it
            assertThat(ingestion.ingest(List.of(v3)).chunks()).isEqualTo(1);
            assertThat(text(store)).isEqualTo("Version three of the copper note.");
        }
    }

    /**
     * The same text captured again for a segment created anew (its generation differs) is written, for the new
     * generation: the fingerprint matched before and nothing was written, so search, which filters out the old
     * generation, found nothing of the new segment.
     */
    @Test
    void theSameTextForASegmentCreatedAnewIsWrittenAgain(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing("NOTHING"), DocumentSplitters.recursive(800, 80),
                    store, 100_000, "test", LiveSegments.ALL);
            String first = JSON.writeValueAsString(Map.of("topic", "t", "segment", "s", "source", Map.of("id", "n"),
                    "content_type", "text/plain", "content", "Zinc output fell.", "generation", "g1"));
            assertThat(ingestion.ingest(List.of(first)).chunks()).isEqualTo(1);
            assertThat(ingestion.ingest(List.of(first)).unchanged()).as("the same generation again").isEqualTo(1);

            Ingestion.Result again = ingestion.ingest(List.of(first.replace("\"g1\"", "\"g2\"")));

            assertThat(again.unchanged()).isZero();
            assertThat(again.chunks()).isEqualTo(1);
            assertThat(store.get(Chunk.id("t", "s", "n", 0), List.of("t")).orElseThrow().metadata())
                    .containsEntry("generation", "g2");
        }
    }

    private static String versioned(String content, String capturedAt) throws Exception {
        return JSON.writeValueAsString(Map.of("topic", "t", "segment", "s", "source", Map.of("id", "note"),
                "content_type", "text/plain", "content", content, "captured_at", capturedAt));
    }

    private static String text(LuceneVectorStore store) {
        return store.get(Chunk.id("t", "s", "note", 0), List.of("t")).orElseThrow().text();
    }

    @Test
    void aModelThatRefusesEverythingFailsTheBatchForARetry(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing(""), DocumentSplitters.recursive(800, 80), store, 100_000, "test", LiveSegments.ALL);
            assertThatThrownBy(() -> ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."))))
                    .hasMessageContaining("rejected");
            assertThat(store.count()).isZero();
        }
    }

    /** Counts the texts it embeds. */
    private static final class Counting implements EmbeddingModel {
        private final EmbeddingModel real = new AllMiniLmL6V2QuantizedEmbeddingModel();
        private int embedded;

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            embedded += segments.size();
            return real.embedAll(segments);
        }
    }

    @Test
    void aSourceWhoseIdentityIsOverLucenesTermLimitIsStoredWithTheRest(@TempDir Path dir) throws Exception {
        // an RSS <link> of 40,000 characters: as an indexed term it would exceed Lucene's 32,766 bytes
        String link = "https://news.example.org/story?" + "x".repeat(40_000);
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Counting(), DocumentSplitters.recursive(800, 80), store, 1_000_000,
                    "test", LiveSegments.ALL);
            Ingestion.Result result = ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."),
                    record(link, "A story behind a very long link."), record("c", "Wheat harvest beat forecasts.")));

            assertThat(result.failures()).isEmpty();
            assertThat(result.records()).isEqualTo(3);
            assertThat(store.count()).isEqualTo(3);
            // a shorter new version of it still removes what it no longer has
            store.removeStale("t", "s", link, 0);
            assertThat(store.count()).isEqualTo(2);
        }
    }

    @Test
    void aRecordTheStoreRefusesGoesToTheFailuresAndTheOthersAreStored(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore lucene = new LuceneVectorStore(dir)) {
            VectorStore refusing = new VectorStore() {
                @Override
                public void upsert(List<Chunk> chunks, List<float[]> vectors) {
                    if (chunks.stream().anyMatch(c -> c.text().contains("OVERSIZED"))) {
                        throw new IllegalArgumentException("metadata size is 41000 bytes, over the limit of 40960");
                    }
                    lucene.upsert(chunks, vectors);
                }

                @Override
                public Map<String, String> fingerprints(String topic, List<String> chunkIds) {
                    return lucene.fingerprints(topic, chunkIds);
                }

                @Override
                public void removeStale(String topic, String segment, String source, int fromIndex) {
                    lucene.removeStale(topic, segment, source, fromIndex);
                }

                @Override
                public void delete(String topic, String segment) {
                    lucene.delete(topic, segment);
                }

                @Override
                public void delete(String topic, String segment, String generation) {
                    lucene.delete(topic, segment, generation);
                }

                @Override
                public List<SearchHit> search(float[] query, int k, String topic, String segment) {
                    return lucene.search(query, k, topic, segment);
                }

                @Override
                public java.util.Optional<SearchHit> get(String chunkId, List<String> topics) {
                    return lucene.get(chunkId, topics);
                }

                @Override
                public String describe() {
                    return "refusing";
                }

                @Override
                public void close() {
                }
            };
            Ingestion ingestion = new Ingestion(new Counting(), DocumentSplitters.recursive(800, 80), refusing,
                    100_000, "test", LiveSegments.ALL);
            Ingestion.Result result = ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."),
                    record("b", "OVERSIZED metadata record"), record("c", "Wheat harvest beat forecasts.")));

            assertThat(result.records()).isEqualTo(2);
            assertThat(result.failures()).singleElement().satisfies(f -> {
                assertThat(f.reason()).contains("the vector store refused it").contains("40960");
                assertThat(f.record()).contains("OVERSIZED");
            });
            assertThat(lucene.count()).isEqualTo(2);
        }
    }

    @Test
    void aRecordAlreadyStoredAsItIsCostsNoEmbeddingAndAChangedOneIsEmbeddedAgain(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Counting model = new Counting();
            Ingestion ingestion = new Ingestion(model, DocumentSplitters.recursive(800, 80), store, 100_000, "test", LiveSegments.ALL);
            String a = record("a", "Copper prices rose on strikes.");
            String b = record("b", "Wheat harvest beat forecasts.");
            assertThat(ingestion.ingest(List.of(a, b)).unchanged()).isZero();
            assertThat(model.embedded).isEqualTo(2);

            Ingestion.Result again = ingestion.ingest(List.of(a, b));
            assertThat(again.unchanged()).isEqualTo(2);
            assertThat(again.records()).isZero();
            assertThat(model.embedded).isEqualTo(2);

            Ingestion.Result changed = ingestion.ingest(List.of(a, record("b", "Wheat harvest missed forecasts.")));
            assertThat(changed.unchanged()).isEqualTo(1);
            assertThat(changed.records()).isEqualTo(1);
            assertThat(model.embedded).isEqualTo(3);
            assertThat(store.count()).isEqualTo(2);

            // another model or splitter makes other chunks: everything is embedded again
            Ingestion other = new Ingestion(model, DocumentSplitters.recursive(400, 40), store, 100_000, "other", LiveSegments.ALL);
            assertThat(other.ingest(List.of(a, b)).unchanged()).isZero();
            assertThat(model.embedded).isEqualTo(5);
        }
    }
}
