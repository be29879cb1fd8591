package io.fineas.pipeline.rag.llm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.TokenUsage;
import io.fineas.pipeline.common.KafkaBatch;
import io.fineas.pipeline.common.RecordTraces;
import io.fineas.pipeline.infra.DiskSpace;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.rag.LiveSegments;
import io.fineas.pipeline.rag.StoreHealth;
import io.fineas.pipeline.support.RouteTestContext;
import io.fineas.pipeline.usage.PausedAnalyses;
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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The LLM analysis routes as shipped (routes/rag/llm-analysis, the model call's circuit breaker and bulkhead of
 * llm-chat, llm-errors and the dead-letter routes) in a Camel context of their own: no broker, no application boot.
 * A batch is what camel-kafka's batching consumer hands the route, sent to a {@code direct:} endpoint; the inference
 * publish and the dead-letter publish are mocks, and what was published can be fed to the inference store's route as
 * its batch. The model is a stand-in ChatModel that answers at once and can be made to fail like a provider in an
 * outage (503s, a RetriableException); the circuit, the retry policy, the paused analyses and the inference store are
 * the real ones over the in-process Mongo wire server.
 */
class AnalysisRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StandInModel MODEL = new StandInModel();
    private static final Set<String> OVER_BUDGET = ConcurrentHashMap.newKeySet();
    private static EmbeddedMongoServer mongoServer;
    private static MongoClient mongo;
    private static MongoDatabase data;
    private static MongoDatabase system;
    private static DefaultCamelContext context;
    private static ProducerTemplate producer;

    /** Answers each prompt with a line of its own; fails while an outage lasts, as a provider answering 503. */
    static final class StandInModel implements ChatModel {
        final AtomicInteger failuresLeft = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public ChatResponse doChat(ChatRequest request) {
            calls.incrementAndGet();
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                // as langchain4j's HTTP clients report it: the status in an HttpException under the retriable one (a
                // retry policy bound to the innermost cause saw no retriable failure and dead-lettered the record)
                throw new RetriableException("503 Service Unavailable: the model is overloaded",
                        new HttpException(503, "{\"error\":\"overloaded\"}"));
            }
            String prompt = request.messages().stream().filter(UserMessage.class::isInstance)
                    .map(m -> ((UserMessage) m).singleText()).reduce("", String::concat);
            return ChatResponse.builder().aiMessage(AiMessage.from("Analysis of " + prompt.length() + " characters."))
                    .tokenUsage(new TokenUsage(prompt.length() / 4, 6)).build();
        }
    }

    @BeforeAll
    static void startRoutes() throws Exception {
        mongoServer = new EmbeddedMongoServer("127.0.0.1", 0, null).start();
        mongo = MongoClients.create(mongoServer.connectionString());
        data = mongo.getDatabase("data");
        system = mongo.getDatabase("system");
        Path dir = Files.createTempDirectory("analysis-routes");
        Properties overrides = new Properties();
        overrides.put("pipeline.llm.retry-delay-ms", "1");
        overrides.put("pipeline.llm.max-retry-delay-ms", "20");
        overrides.put("pipeline.stores.retry-delay-ms", "1");
        context = RouteTestContext.create(overrides);
        var registry = context.getRegistry();
        registry.bind("metricsRegistry", new SimpleMeterRegistry());
        registry.bind("kafkaBatch", new KafkaBatch());
        registry.bind("recordTraces", RecordTraces.off());
        registry.bind("diskSpace", new DiskSpace(dir, 0));
        registry.bind("storeHealth", new StoreHealth());
        // the beans as RagBeans binds them, the model a stand-in
        registry.bind("analysisModel", MODEL);
        registry.bind("chatModel", MODEL);
        registry.bind("pausedAnalyses", new PausedAnalyses(system.getCollection(PausedAnalyses.COLLECTION),
                OVER_BUDGET::contains));
        registry.bind("llmCallThreads", context.getExecutorServiceManager().newCachedThreadPool(context, "llm-call"));
        registry.bind("llmAnalysisThreads", context.getExecutorServiceManager()
                .newFixedThreadPool(context, "llm-analysis", 4));
        LlmCircuit circuit = new LlmCircuit(Duration.ofMillis(100));
        registry.bind("llmRetryPolicy", new LlmRetryPolicy(4, circuit));
        registry.bind("llmCircuitBreaker", circuit.breaker());
        registry.bind("inferenceStore", new InferenceStore(data, LiveSegments.ALL));
        registry.bind("analysisService", new AnalysisService(new Prompts(Path.of("prompts"), 4000), "stand-in", data,
                LiveSegments.ALL, OVER_BUDGET::contains, 20_000, "data-"));
        registry.bind("chatService", new ChatService(null, null, system.getCollection("chat_sessions"), "stand-in", 4,
                0, Duration.ofHours(1)));
        // vector-ingest for its refusals route (the inference store's route uses it)
        RouteTestContext.load(context, "routes/errors/llm-errors.camel.yaml", "routes/errors/store-errors.camel.yaml",
                "routes/errors/propagate-errors.camel.yaml", "routes/errors/chat-reply-errors.camel.yaml",
                "routes/shared/dead-letter.camel.yaml", "routes/rag/llm-dead-letter.camel.yaml",
                "routes/rag/vector-ingest.camel.yaml", "routes/rag/llm-chat.camel.yaml",
                "routes/rag/llm-analysis.camel.yaml");
        AdviceWith.adviceWith(context, "rag-analysis", a -> a.replaceFromWith("direct:data-batch"));
        AdviceWith.adviceWith(context, "rag-analysis-record", a -> a.weaveById("publish-inference").replace()
                .convertBodyTo(String.class).to("mock:inferences"));
        AdviceWith.adviceWith(context, "rag-store-inference", a -> a.replaceFromWith("direct:inference-batch"));
        // the other routes of the files loaded, not under test (vector-ingest is loaded for its refusals route)
        for (String route : List.of("rag-vector-ingest", "rag-delete-vectors")) {
            context.removeRouteDefinition(context.getRouteDefinition(route));
        }
        AdviceWith.adviceWith(context, "rag-chat", a -> a.replaceFromWith("direct:unused-rag-chat"));
        AdviceWith.adviceWith(context, "rag-publish-chat-reply", a -> a.weaveById("publish-chat-answer").replace()
                .to("mock:chat-replies"));
        AdviceWith.adviceWith(context, "shared-publish-dead-letter", a -> a.weaveById("publish-dlq").replace()
                .setHeader("kafkaTopic", a.simple("${variable.dlqTopic}")).convertBodyTo(String.class).to("mock:dlq"));
        context.start();
        producer = context.createProducerTemplate();
    }

    @AfterAll
    static void stopRoutes() {
        context.stop();
        mongo.close();
        mongoServer.close();
    }

    private static String record(String topic, String source, String content) throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("topic", topic);
        r.put("segment", "news");
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

    private static List<Exchange> published(String mock, String topic) {
        return context.getEndpoint("mock:" + mock, MockEndpoint.class).getExchanges().stream()
                .filter(e -> e.getMessage().getBody(String.class).contains("\"topic\":\"" + topic + "\"")).toList();
    }

    private static Map<String, Object> json(Exchange e) {
        try {
            return JSON.readValue(e.getMessage().getBody(String.class), new TypeReference<>() {
            });
        } catch (Exception notJson) {
            throw new AssertionError(notJson);
        }
    }

    private static String topic() {
        return "analysis" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void eachRecordOfABatchIsAnalysedOnceAndTheBatchCommittedAfterwards() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "a", "Acme raised its margin guidance for the third quarter."),
                record(t, "b", "Globex opened a plant in Ohio."),
                record(t, "c", "Initech cut prices on its printers.")), commits));

        List<Exchange> inferences = published("inferences", t);
        assertThat(inferences).hasSize(3);
        assertThat(inferences).extracting(e -> e.getMessage().getHeader("kafka.KEY"))
                .containsExactlyInAnyOrder("a", "b", "c");
        assertThat(inferences).allSatisfy(e -> assertThat(json(e)).containsEntry("model", "stand-in")
                .containsEntry("segment", "news").containsKey("usage")
                .satisfies(i -> assertThat((String) i.get("inference")).startsWith("Analysis of ")));
        assertThat(commits).containsExactly("data-" + t + "/0@2", "data-" + t + "/1@1");

        // stored by the inference store's route, the same records again are not analysed again
        producer.sendBody("direct:inference-batch", batch("inference", inferences.stream()
                .map(e -> e.getMessage().getBody(String.class)).toList(), new CopyOnWriteArrayList<>()));
        assertThat(data.getCollection(t).countDocuments(Filters.eq("kind", "inference"))).isEqualTo(3);
        int calls = MODEL.calls.get();
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "a", "Acme raised its margin guidance for the third quarter.")), commits));
        assertThat(MODEL.calls.get()).isEqualTo(calls);
        assertThat(published("inferences", t)).hasSize(3);
    }

    @Test
    void aProviderOutageIsWaitedOutAndNoRecordIsDeadLettered() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        // more failures than a record's own tries (4): the circuit opens and the records wait for it to close
        MODEL.failuresLeft.set(12);
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                record(t, "a", "Acme raised its margin guidance."),
                record(t, "b", "Globex opened a plant in Ohio.")), commits));

        assertThat(MODEL.failuresLeft.get()).isZero();
        assertThat(published("inferences", t)).extracting(e -> e.getMessage().getHeader("kafka.KEY"))
                .containsExactlyInAnyOrder("a", "b");
        assertThat(published("dlq", t)).isEmpty();
        assertThat(commits).containsExactly("data-" + t + "/0@0", "data-" + t + "/1@1");
    }

    @Test
    void aRecordTheModelCannotUseGoesToTheDeadLetterTopicAndTheRestOfTheBatchIsAnalysed() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        String foreign = record("another", "x", "A record that names a topic it was not published on.");
        producer.sendBody("direct:data-batch", batch("data-" + t, List.of(foreign,
                record(t, "a", "Acme raised its margin guidance."), "not a record at all",
                record(t, "b", "Globex opened a plant in Ohio."), record(t, "c", "Initech cut prices.")), commits));

        // (with stopOnException on the batch's split, a dead-lettered record stopped it: a, b and c were neither
        // analysed nor committed)
        assertThat(published("inferences", t)).extracting(e -> e.getMessage().getHeader("kafka.KEY"))
                .containsExactlyInAnyOrder("a", "b", "c");
        List<Exchange> dead = context.getEndpoint("mock:dlq", MockEndpoint.class).getExchanges().stream()
                .filter(e -> ("data-" + t).equals(e.getMessage().getHeader("dlq-source-topic"))).toList();
        assertThat(dead).extracting(e -> e.getMessage().getBody(String.class))
                .containsExactlyInAnyOrder(foreign, "not a record at all");
        assertThat(dead).allSatisfy(e -> {
            assertThat(e.getMessage().getHeader("kafkaTopic")).isEqualTo("llm.dlq");
            assertThat(e.getMessage().getHeader("dlq-reason", String.class)).isNotBlank();
        });
        assertThat(dead.stream().filter(e -> e.getMessage().getBody(String.class).equals(foreign)))
                .singleElement().satisfies(e -> assertThat(e.getMessage().getHeader("dlq-reason", String.class))
                        .contains("names topic 'another'"));
        assertThat(commits).containsExactly("data-" + t + "/0@4", "data-" + t + "/1@3");
    }

    @Test
    void aDeadLetterThatCannotBeWrittenFailsTheBatchAndNothingIsCommitted() throws Exception {
        String t = topic();
        List<String> commits = new CopyOnWriteArrayList<>();
        MockEndpoint dlq = context.getEndpoint("mock:dlq", MockEndpoint.class);
        dlq.whenAnyExchangeReceived(e -> {
            throw new IllegalStateException("the dead-letter topic cannot be written");
        });
        try {
            assertThatThrownBy(() -> producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                    record(t, "a", "Acme raised its margin guidance."), "not a record at all",
                    record(t, "b", "Globex opened a plant in Ohio.")), commits)))
                    .hasStackTraceContaining("the dead-letter topic cannot be written");
        } finally {
            dlq.whenAnyExchangeReceived(e -> {
            });
        }
        // polled again: a replay finds the good records' inferences by their ids (idempotent downstream)
        assertThat(commits).isEmpty();
    }

    @Test
    void aTopicOverItsTokenBudgetIsParkedNotAnalysed() throws Exception {
        String t = topic();
        OVER_BUDGET.add(t);
        try {
            int calls = MODEL.calls.get();
            List<String> commits = new CopyOnWriteArrayList<>();
            producer.sendBody("direct:data-batch", batch("data-" + t, List.of(
                    record(t, "a", "Acme raised its margin guidance.")), commits));

            assertThat(MODEL.calls.get()).isEqualTo(calls);
            assertThat(published("inferences", t)).isEmpty();
            assertThat(system.getCollection(PausedAnalyses.COLLECTION).countDocuments(Filters.eq("topic", t)))
                    .isEqualTo(1);
            assertThat(commits).hasSize(1);
        } finally {
            OVER_BUDGET.remove(t);
        }
    }
}
