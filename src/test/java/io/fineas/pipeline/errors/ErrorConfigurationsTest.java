package io.fineas.pipeline.errors;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.RetriableException;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.gateway.ApiErrors;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.messages.ChatQuestion;
import io.fineas.pipeline.messages.ChatReply;
import io.fineas.pipeline.processors.CaptureRecords;
import io.fineas.pipeline.processors.CaptureRetryPolicy;
import io.fineas.pipeline.processors.MalformedAlertException;
import io.fineas.pipeline.processors.ProcessorRun;
import io.fineas.pipeline.processors.ProcessorRunFixture;
import io.fineas.pipeline.rag.StoreHealth;
import io.fineas.pipeline.rag.llm.ChatService;
import io.fineas.pipeline.rag.llm.LlmCircuit;
import io.fineas.pipeline.rag.llm.LlmRetryPolicy;
import org.apache.camel.Exchange;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each error-handling configuration of routes/errors, as shipped, on a route that fails the way a stage's route
 * fails, in a Camel context of its own: no broker, no application. The shared dead-letter route is the real one with
 * its Kafka publish replaced by a mock (AdviceWith), so the test sees what would be published: topic, key, reason and
 * body. Retry delays are set to a millisecond; the counts are the configuration's.
 */
class ErrorConfigurationsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static DefaultCamelContext context;
    private static EmbeddedMongoServer mongoServer;
    private static MongoClient mongo;
    private static final LlmCircuit CIRCUIT = new LlmCircuit(Duration.ofSeconds(30));
    private static final AtomicInteger ATTEMPTS = new AtomicInteger();
    private static final AtomicInteger FAILURES_LEFT = new AtomicInteger();
    private static volatile RuntimeException failure;
    private static volatile boolean dlqDown;

    @BeforeAll
    static void startContext() throws Exception {
        mongoServer = new EmbeddedMongoServer("127.0.0.1", 0, null).start();
        mongo = MongoClients.create(mongoServer.connectionString());
        context = new DefaultCamelContext();
        Properties overrides = new Properties();
        overrides.put("pipeline.processors.retry-delay-ms", "1");
        overrides.put("pipeline.llm.retry-delay-ms", "1");
        overrides.put("pipeline.stores.retry-delay-ms", "1");
        context.getPropertiesComponent().setLocation("file:src/main/resources/application.properties");
        context.getPropertiesComponent().setOverrideProperties(overrides);
        var registry = context.getRegistry();
        registry.bind("captureRetryPolicy", new CaptureRetryPolicy());
        registry.bind("captureRecords", new CaptureRecords());
        registry.bind("storeHealth", new StoreHealth());
        registry.bind("llmRetryPolicy", new LlmRetryPolicy(2, CIRCUIT));
        registry.bind("chatService", new ChatService(null, null, mongo.getDatabase("errors").getCollection("chat"),
                "m", 4, 0, Duration.ofHours(1)));
        registry.bind("apiErrors", new ApiErrors());
        var loader = PluginHelper.getRoutesLoader(context);
        for (String file : List.of("routes/errors/capture-errors.camel.yaml", "routes/errors/store-errors.camel.yaml",
                "routes/errors/llm-errors.camel.yaml", "routes/errors/processor-errors.camel.yaml",
                "routes/errors/propagate-errors.camel.yaml", "routes/errors/rest-errors.camel.yaml",
                "routes/errors/run-status-errors.camel.yaml", "routes/errors/scheduler-errors.camel.yaml",
                "routes/shared/dead-letter.camel.yaml", "routes/shared/rest-configuration.camel.yaml",
                "routes/rag/llm-dead-letter.camel.yaml")) {
            loader.loadRoutes(ResourceHelper.resolveResource(context, "file:" + file));
        }
        // a lambda route builder: Camel Main's route discovery in the other tests' applications does not find it
        RouteBuilder.addRoutes(context, routes -> {
            // a stage's route: each fails as the test says, through the configuration under test
            for (String config : List.of("capture-errors", "store-errors", "llm-errors", "processor-errors",
                    "rest-errors", "run-status-errors", "scheduler-errors")) {
                routes.from("direct:" + config).routeId("test-" + config).routeConfigurationId(config)
                        .setVariable("original", routes.body())
                        .process(ErrorConfigurationsTest::failAsTold)
                        .to("mock:done");
            }
            // a caller whose step is a sub-route with propagate-errors: the caller's configuration retries it
            routes.from("direct:calls-sub-route").routeId("test-caller").routeConfigurationId("capture-errors")
                    .to("direct:sub-route").to("mock:done");
            routes.from("direct:sub-route").routeId("test-sub-route").routeConfigurationId("propagate-errors")
                    .process(ErrorConfigurationsTest::failAsTold);
            routes.from("direct:publish-chat-reply").routeId("test-chat-replies").to("mock:chat-replies");
        });
        context.start();
        AdviceWith.adviceWith(context, "shared-publish-dead-letter", a -> a.weaveById("publish-dlq").replace()
                .process(e -> {
                    if (dlqDown) {
                        throw new IllegalStateException("the dead-letter topic cannot be written");
                    }
                })
                .setHeader("dlqTopic", a.simple("${variable.dlqTopic}")).to("mock:dlq"));
    }

    @AfterAll
    static void stopContext() {
        context.stop();
        mongo.close();
        mongoServer.close();
    }

    @BeforeEach
    void reset() {
        MockEndpoint.resetMocks(context);
        ATTEMPTS.set(0);
        FAILURES_LEFT.set(0);
        failure = null;
        dlqDown = false;
    }

    private static void failAsTold(Exchange exchange) {
        ATTEMPTS.incrementAndGet();
        if (failure != null && FAILURES_LEFT.getAndDecrement() > 0) {
            throw failure;
        }
    }

    private static void failTimes(int times, RuntimeException error) {
        failure = error;
        FAILURES_LEFT.set(times);
    }

    private static Exchange send(String endpoint, Object body, Map<String, Object> variables) {
        return context.createProducerTemplate().send(endpoint, e -> {
            e.getMessage().setBody(body);
            variables.forEach(e::setVariable);
        });
    }

    private static MockEndpoint mock(String name) {
        return context.getEndpoint("mock:" + name, MockEndpoint.class);
    }

    private static Exchange onlyDeadLetter() {
        assertThat(mock("dlq").getReceivedExchanges()).hasSize(1);
        return mock("dlq").getReceivedExchanges().get(0);
    }

    @Test
    void captureErrorsRetryATransientFailureUpToTheProcessorsRetriesThenDeadLetterTheItem() throws Exception {
        ProcessorRun run = ProcessorRunFixture.run("run-1", 2);
        failTimes(99, wrap(new HttpOperationFailedException("https://example.org/1", 503, "Unavailable", null,
                Map.of(), "")));

        Exchange result = send("direct:capture-errors", "item", Map.of("run", run, "item", Map.of("n", 1)));

        assertThat(result.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(3); // the first try and the processor's two retries
        Exchange dead = onlyDeadLetter();
        assertThat(dead.getMessage().getHeader("dlqTopic")).isEqualTo("capture.dlq");
        assertThat(dead.getMessage().getHeader("kafka.KEY")).isEqualTo("run-1");
        assertThat(dead.getMessage().getHeader("dlq-reason", String.class)).contains("503");
        Map<?, ?> failure = JSON.readValue(dead.getMessage().getBody(String.class), Map.class);
        assertThat(failure.get("run_id")).isEqualTo("run-1");
        assertThat(failure.get("parameters")).isEqualTo(Map.of("n", 1));
        assertThat(run.failedCount()).isEqualTo(1);
        // nothing of the failed exchange's headers travels on
        assertThat(dead.getMessage().getHeaders()).doesNotContainKey("CamelRedeliveryCounter");
    }

    @Test
    void captureErrorsDoNotRetryARefusalOfTheSource() {
        failTimes(99, wrap(new HttpOperationFailedException("https://example.org/1", 404, "Not Found", null,
                Map.of(), "")));
        send("direct:capture-errors", "item", Map.of("run", ProcessorRunFixture.run("run-2", 2), "item",
                Map.of("n", 1)));
        assertThat(ATTEMPTS.get()).isEqualTo(1);
        assertThat(onlyDeadLetter().getMessage().getHeader("dlq-reason", String.class)).contains("404");
    }

    @Test
    void aSubRouteWithPropagateErrorsIsRetriedByItsCallersConfiguration() {
        failTimes(2, wrap(new SocketTimeoutException("read timed out")));
        Exchange result = send("direct:calls-sub-route", "item", Map.of("run", ProcessorRunFixture.run("run-3", 2),
                "item", Map.of("n", 1)));
        // the sub-route's failures went back to the caller, whose policy retried the step: it got through
        assertThat(result.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(3);
        assertThat(mock("done").getReceivedCounter()).isEqualTo(1);
        assertThat(mock("dlq").getReceivedCounter()).isZero();
    }

    @Test
    void ingestErrorsDeadLetterAMalformedRecordAsItCameAndWaitOutAStoreThatIsDown() throws Exception {
        failTimes(1, wrap(new JsonParseException(null, "Unexpected character")));
        Exchange malformed = send("direct:store-errors", "{not json", Map.of());
        assertThat(malformed.getException()).isNull();
        assertThat(onlyDeadLetter().getMessage().getBody(String.class)).isEqualTo("{not json");
        assertThat(onlyDeadLetter().getMessage().getHeader("dlqTopic")).isEqualTo("ingest.dlq");

        reset();
        // the store down for three tries: retried (no end, with backoff), then it gets through; nothing dead-lettered
        failTimes(3, new IllegalStateException("vector store unreachable"));
        Exchange waited = send("direct:store-errors", "{\"ok\":true}", Map.of());
        assertThat(waited.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(4);
        assertThat(mock("dlq").getReceivedCounter()).isZero();
        assertThat(mock("done").getReceivedCounter()).isEqualTo(1);
    }

    @Test
    void llmErrorsRetryTheProviderThenDeadLetterTheRecordWithItsSourceTopic() {
        failTimes(99, new RetriableException("429 too many requests"));
        Exchange result = context.createProducerTemplate().send("direct:llm-errors", e -> {
            e.getMessage().setBody("{\"record\":1}");
            e.getMessage().setHeader("kafka.TOPIC", "data-t");
        });
        assertThat(result.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(3); // LLM retries: 2
        Exchange dead = onlyDeadLetter();
        assertThat(dead.getMessage().getHeader("dlqTopic")).isEqualTo("llm.dlq");
        assertThat(dead.getMessage().getHeader("dlq-source-topic")).isEqualTo("data-t");
        assertThat(dead.getMessage().getHeader("dlq-reason", String.class)).contains("RetriableException");
        assertThat(dead.getMessage().getBody(String.class)).isEqualTo("{\"record\":1}");
    }

    @Test
    void llmErrorsDoNotRetryInputTheModelRefusesAndAnswerAFailedQuestionAtOnce() {
        failTimes(99, new HttpException(400, "context length exceeded"));
        send("direct:llm-errors", "{\"record\":2}", Map.of());
        assertThat(ATTEMPTS.get()).isEqualTo(1);
        assertThat(mock("dlq").getReceivedCounter()).isEqualTo(1);

        reset();
        failTimes(99, new RetriableException("503"));
        ChatQuestion question = new ChatQuestion("c-1", "Who?", null, null, null, null, null);
        send("direct:llm-errors", "question", Map.of("request", question));
        assertThat(mock("dlq").getReceivedCounter()).isZero();
        ChatReply reply = mock("chat-replies").getReceivedExchanges().get(0).getMessage().getBody(ChatReply.class);
        assertThat(reply.correlationId()).isEqualTo("c-1");
        assertThat(reply.error()).isEqualTo("llm_unavailable");
    }

    @Test
    void processorErrorsDeadLetterAMalformedAlertWithItsSourceTopic() {
        failTimes(1, new MalformedAlertException("not an alert: lacks run_id"));
        Exchange result = send("direct:processor-errors", "{\"x\":1}", Map.of());
        assertThat(result.getException()).isNull();
        Exchange dead = onlyDeadLetter();
        assertThat(dead.getMessage().getHeader("dlqTopic")).isEqualTo("alert.dlq");
        assertThat(dead.getMessage().getHeader("dlq-source-topic")).isEqualTo("alert");
        assertThat(dead.getMessage().getHeader("dlq-reason")).isEqualTo("not an alert: lacks run_id");
    }

    @Test
    void aDeadLetterThatCannotBePublishedFailsTheExchangeSoTheRecordIsPolledAgain() {
        dlqDown = true;
        failTimes(1, new MalformedAlertException("not an alert"));
        Exchange result = send("direct:processor-errors", "{\"x\":1}", Map.of());
        assertThat(result.getException()).hasMessageContaining("cannot be written");
        assertThat(mock("done").getReceivedCounter()).isZero();
    }

    @Test
    void runStatusErrorsWaitOutMongoDbAndDeadLetterWhatIsNotASummary() {
        failTimes(2, new MongoTimeoutException("no server"));
        Exchange waited = send("direct:run-status-errors", "{}", Map.of());
        assertThat(waited.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(3);
        assertThat(mock("dlq").getReceivedCounter()).isZero();

        reset();
        failTimes(1, new IllegalArgumentException("not a run summary"));
        send("direct:run-status-errors", "[1]", Map.of());
        assertThat(onlyDeadLetter().getMessage().getHeader("dlqTopic")).isEqualTo("run-status.dlq");
        assertThat(onlyDeadLetter().getMessage().getBody(String.class)).isEqualTo("[1]");
    }

    @Test
    void restErrorsAnswerTheStatusAndTheJsonErrorAndNothingOfTheRequest() throws Exception {
        failTimes(1, new ApiException(429, "rate_limited", "too many requests", Duration.ofSeconds(7)));
        Exchange limited = context.createProducerTemplate().send("direct:rest-errors", e -> {
            e.getMessage().setBody("{}");
            e.getMessage().setHeader("X-API-Key", "fpk_secret");
        });
        assertThat(limited.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(429);
        assertThat(limited.getMessage().getHeader("Retry-After")).hasToString("7");
        assertThat(limited.getMessage().getHeaders()).doesNotContainKey("X-API-Key");
        assertThat(JSON.readValue(limited.getMessage().getBody(String.class), Map.class))
                .isEqualTo(Map.of("error", "rate_limited", "detail", "too many requests"));

        reset();
        failTimes(1, new NullPointerException("secret internals"));
        Exchange crashed = send("direct:rest-errors", "{}", Map.of());
        assertThat(crashed.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE)).isEqualTo(500);
        assertThat(crashed.getMessage().getBody(String.class)).doesNotContain("secret internals");
    }

    @Test
    void schedulerErrorsEndTheTickWithoutFailingIt() {
        failTimes(1, new IllegalStateException("Redis down"));
        Exchange tick = send("direct:scheduler-errors", null, Map.of());
        assertThat(tick.getException()).isNull();
        assertThat(ATTEMPTS.get()).isEqualTo(1);
        assertThat(mock("done").getReceivedCounter()).isZero();
        assertThat(mock("dlq").getReceivedCounter()).isZero();
    }

    private static RuntimeException wrap(Exception e) {
        return new org.apache.camel.RuntimeCamelException(e);
    }
}
