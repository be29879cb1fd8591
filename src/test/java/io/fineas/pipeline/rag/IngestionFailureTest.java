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
 * A record the embedding model cannot take does not stall its batch: the real model and the real index, with the
 * model refusing one marked text (as a model refuses input it cannot process).
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
                    store, 100_000, "test");
            Ingestion.Result result = ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."),
                    record("b", "UNEMBEDDABLE text"), record("c", "Wheat harvest beat forecasts.")));

            assertThat(result.records()).isEqualTo(2);
            assertThat(result.failures()).hasSize(1);
            assertThat((String) result.failures().get(0).get("reason")).contains("embedding failed");
            assertThat((String) result.failures().get(0).get("record")).contains("UNEMBEDDABLE");
            assertThat(store.count()).isEqualTo(2);
        }
    }

    @Test
    void aModelThatRefusesEverythingFailsTheBatchForARetry(@TempDir Path dir) throws Exception {
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            Ingestion ingestion = new Ingestion(new Refusing(""), DocumentSplitters.recursive(800, 80), store, 100_000, "test");
            assertThatThrownBy(() -> ingestion.ingest(List.of(record("a", "Copper prices rose on strikes."))))
                    .hasMessageContaining("rejected");
            assertThat(store.count()).isZero();
        }
    }
}
