package io.fineas.pipeline.rag;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
import io.fineas.pipeline.common.KafkaBatch;
import io.fineas.pipeline.common.RecordTraces;
import io.fineas.pipeline.infra.DiskSpace;
import io.fineas.pipeline.support.RouteTestContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingestion route as shipped (routes/rag/vector-ingest, store-errors, the shared dead-letter route) in a Camel
 * context of its own: no broker, no application boot. A batch is what camel-kafka's batching consumer hands the route
 * (a list of record exchanges with their Kafka headers and a manual commit each), sent to a {@code direct:} endpoint
 * that replaces the consumer; the dead-letter publish is a mock. The vector store is the real embedded Lucene index;
 * the embedding model is a small deterministic one that can be made to fail (an outage of the model), so the test
 * counts what the store holds, what is committed and when.
 */
class IngestionRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path dir;
    private static DefaultCamelContext context;
    private static ProducerTemplate producer;
    private static LuceneVectorStore store;
    private static final OutageModel MODEL = new OutageModel();

    /** Vectors from the words of a text (the same text, the same vector); fails while an outage lasts. */
    static final class OutageModel implements EmbeddingModel {
        final AtomicInteger failuresLeft = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            calls.incrementAndGet();
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new IllegalStateException("the embedding model is unreachable");
            }
            List<Embedding> out = new ArrayList<>();
            for (TextSegment s : segments) {
                float[] v = new float[16];
                for (String word : s.text().toLowerCase().split("\\W+")) {
                    v[Math.floorMod(word.hashCode(), 16)] += 1;
                }
                v[0] += 0.01f;
                out.add(Embedding.from(v));
            }
            return Response.from(out);
        }

        @Override
        public int dimension() {
            return 16;
        }
    }

    @BeforeAll
    static void startRoutes() throws Exception {
        dir = Files.createTempDirectory("ingestion-routes");
        store = new LuceneVectorStore(dir.resolve("vectors"));
        Properties overrides = new Properties();
        overrides.put("pipeline.stores.retry-delay-ms", "1");
        context = RouteTestContext.create(overrides);
        var registry = context.getRegistry();
        registry.bind("metricsRegistry", new SimpleMeterRegistry());
        registry.bind("kafkaBatch", new KafkaBatch());
        registry.bind("diskSpace", new DiskSpace(dir, 0));
        registry.bind("vectorStore", store);
        registry.bind("ingestion", new Ingestion(MODEL, DocumentSplitters.recursive(300, 30), store, 100_000,
                "outage/recursive(300,30)", LiveSegments.ALL));
        registry.bind("recordTraces", RecordTraces.off());
        registry.bind("storeHealth", new StoreHealth());
        RouteTestContext.load(context, "routes/errors/store-errors.camel.yaml",
                "routes/errors/propagate-errors.camel.yaml", "routes/shared/dead-letter.camel.yaml",
                "routes/rag/vector-ingest.camel.yaml");
        AdviceWith.adviceWith(context, "rag-vector-ingest", a -> a.replaceFromWith("direct:data-batch"));
        AdviceWith.adviceWith(context, "rag-delete-vectors", a -> a.replaceFromWith("direct:pipeline-events"));
        AdviceWith.adviceWith(context, "shared-publish-dead-letter", a -> a.weaveById("publish-dlq").replace()
                .setHeader("kafkaTopic", a.simple("${variable.dlqTopic}")).convertBodyTo(String.class).to("mock:dlq"));
        context.start();
        producer = context.createProducerTemplate();
    }

    @AfterAll
    static void stopRoutes() {
        context.stop();
        store.close();
    }

    private static String record(String topic, String segment, String source, String content) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("topic", topic);
        r.put("segment", segment);
        r.put("processor_id", "test");
        r.put("run_id", "run-1");
        r.put("source", Map.of("kind", "http", "id", source));
        r.put("captured_at", "2026-11-25T10:00:00Z");
        r.put("content_type", "text/plain");
        r.put("content", content);
        return JSON.writeValueAsString(r);
    }

    private static List<Exchange> batch(String kafkaTopic, List<String> values, List<String> commits) {
        return RouteTestContext.batch(context, kafkaTopic, values, commits);
    }

    private static List<SearchHit> stored(String topic) {
        return store.search(MODEL.embed("anything").content().vector(), 100, topic, null);
    }

    private static String topic() {
        return "ingest" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void aBatchIsChunkedEmbeddedStoredAndThenCommittedOncePerPartition() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "news", "a", "Acme raised its margin guidance for the third quarter."),
                record(t, "news", "b", "Globex opened a plant in Ohio."),
                record(t, "news", "c", "Initech cut prices on its printers.")), commits));

        assertThat(stored(t)).extracting(h -> h.metadata().get("source")).containsExactlyInAnyOrder("a", "b", "c");
        // the last record of each partition, after the store returned
        assertThat(commits).containsExactly("data-" + t + "/0@2", "data-" + t + "/1@1");

        // the same batch again (a replay after a crash before the commit): nothing embedded, nothing doubled
        int calls = MODEL.calls.get();
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "news", "a", "Acme raised its margin guidance for the third quarter."),
                record(t, "news", "b", "Globex opened a plant in Ohio."),
                record(t, "news", "c", "Initech cut prices on its printers.")), commits));
        assertThat(MODEL.calls.get()).isEqualTo(calls);
        assertThat(stored(t)).hasSize(3);
    }

    @Test
    void aRecordRefusedForItsOwnSakeGoesToTheDeadLetterTopicAndTheBatchGoesOn() throws Exception {
        String t = topic();
        MockEndpoint dlq = context.getEndpoint("mock:dlq", MockEndpoint.class);
        int before = dlq.getReceivedCounter();
        List<String> commits = new CopyOnWriteArrayList<>();
        String foreign = record("another", "news", "x", "A record that names a topic it was not published on.");
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "news", "a", "Acme raised its margin guidance."), "not a record at all", foreign), commits));

        assertThat(stored(t)).extracting(h -> h.metadata().get("source")).containsExactly("a");
        List<Exchange> dead = dlq.getExchanges().subList(before, dlq.getReceivedCounter());
        assertThat(dead).extracting(e -> e.getMessage().getBody(String.class))
                .containsExactlyInAnyOrder("not a record at all", foreign);
        assertThat(dead).allSatisfy(e -> {
            assertThat(e.getMessage().getHeader("kafkaTopic")).isEqualTo("ingest.dlq");
            assertThat(e.getMessage().getHeader("dlq-reason", String.class)).isNotBlank();
        });
        assertThat(commits).hasSize(2);
    }

    @Test
    void aModelOutageIsWaitedOutAndTheBatchIsStoredOnceAndCommittedOnlyAfterwards() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        MODEL.failuresLeft.set(5);
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "news", "a", "Acme raised its margin guidance."),
                record(t, "news", "b", "Globex opened a plant in Ohio.")), commits));

        assertThat(MODEL.failuresLeft.get()).isZero();
        assertThat(stored(t)).extracting(h -> h.metadata().get("source")).containsExactlyInAnyOrder("a", "b");
        assertThat(commits).containsExactly("data-" + t + "/0@0", "data-" + t + "/1@1");
        assertThat(context.getEndpoint("mock:dlq", MockEndpoint.class).getExchanges())
                .noneMatch(e -> e.getMessage().getBody(String.class).contains(t));
    }

    @Test
    void aDeletionEventRemovesTheSegmentsVectorsAndNothingElse() throws Exception {
        String t = topic();
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "news", "a", "Acme raised its margin guidance."),
                record(t, "filings", "b", "Globex filed its annual report.")), new CopyOnWriteArrayList<>()));
        assertThat(stored(t)).hasSize(2);

        producer.sendBody("direct:pipeline-events", JSON.writeValueAsString(Map.of("event", "segment_deleted",
                "topic", t, "segment", "news")));
        assertThat(stored(t)).extracting(h -> h.metadata().get("segment")).containsExactly("filings");
    }
}
