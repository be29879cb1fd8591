package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.store.embedding.CosineSimilarity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared embedding model: langchain4j's vectors, texts embedded once, questions and chunks before analyses. */
class LocalEmbeddingsTest {

    private static LocalEmbeddings embeddings;

    @BeforeAll
    static void load() {
        embeddings = new LocalEmbeddings("all-minilm-l6-v2", 1, 1, 1000);
    }

    @AfterAll
    static void close() throws Exception {
        embeddings.close();
    }

    private static List<TextSegment> texts(String prefix, int n) {
        List<TextSegment> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(TextSegment.from(prefix + " sentence number " + i + " about shipments, tariffs and demand."));
        }
        return out;
    }

    @Test
    void theVectorsAreLangchain4jsOwn() {
        List<TextSegment> texts = texts("same", 3);
        List<Embedding> ours = embeddings.model(LocalEmbeddings.Use.INGESTION).embedAll(texts).content();
        List<Embedding> stock = new AllMiniLmL6V2EmbeddingModel().embedAll(texts).content();
        for (int i = 0; i < texts.size(); i++) {
            assertThat(CosineSimilarity.between(ours.get(i), stock.get(i))).isGreaterThan(0.9999);
        }
        assertThat(embeddings.model(LocalEmbeddings.Use.INTERACTIVE).dimension()).isEqualTo(384);
    }

    @Test
    void aTextIsEmbeddedOnceWhateverUsesIt() {
        List<TextSegment> texts = texts("cached", 4);
        long computed = embeddings.computed(LocalEmbeddings.Use.ANALYSIS);
        List<Embedding> first = embeddings.model(LocalEmbeddings.Use.ANALYSIS).embedAll(texts).content();
        assertThat(embeddings.computed(LocalEmbeddings.Use.ANALYSIS) - computed).isEqualTo(4);
        // chat selecting among the same sentences, and ingestion of one of them: no model call
        long chatComputed = embeddings.computed(LocalEmbeddings.Use.INTERACTIVE);
        long chatCached = embeddings.cached(LocalEmbeddings.Use.INTERACTIVE);
        List<Embedding> again = embeddings.model(LocalEmbeddings.Use.INTERACTIVE).embedAll(texts).content();
        assertThat(embeddings.computed(LocalEmbeddings.Use.INTERACTIVE)).isEqualTo(chatComputed);
        assertThat(embeddings.cached(LocalEmbeddings.Use.INTERACTIVE) - chatCached).isEqualTo(4);
        assertThat(again).isEqualTo(first);
        long ingestComputed = embeddings.computed(LocalEmbeddings.Use.INGESTION);
        // one new text among known ones: only it is computed, and each vector stays in its place
        List<TextSegment> mixed = List.of(texts.get(2), TextSegment.from("A new sentence about dividends."),
                texts.get(0));
        List<Embedding> m = embeddings.model(LocalEmbeddings.Use.INGESTION).embedAll(mixed).content();
        assertThat(embeddings.computed(LocalEmbeddings.Use.INGESTION) - ingestComputed).isEqualTo(1);
        assertThat(m.get(0)).isEqualTo(first.get(2));
        assertThat(m.get(2)).isEqualTo(first.get(0));
        assertThat(CosineSimilarity.between(m.get(1), first.get(0))).isLessThan(0.99);
    }

    @Test
    void chunksAreEmbeddedBeforeAnalysesQueuedEarlier() throws Exception {
        // one worker: an analysis of 120 sentences is queued first, then a record's 4 chunks
        CompletableFuture<Long> analysis = CompletableFuture.supplyAsync(() -> {
            embeddings.model(LocalEmbeddings.Use.ANALYSIS).embedAll(texts("analysis", 120));
            return System.nanoTime();
        });
        while (embeddings.computed(LocalEmbeddings.Use.ANALYSIS) == 0 && !analysis.isDone()
                && embeddingsQueued() < 100) {
            Thread.onSpinWait();
        }
        embeddings.model(LocalEmbeddings.Use.INGESTION).embedAll(texts("chunk", 4));
        long chunksDone = System.nanoTime();
        assertThat(analysis).isNotDone();
        assertThat(analysis.get()).isGreaterThan(chunksDone);
    }

    private static int embeddingsQueued() {
        return embeddings.queued();
    }
}
