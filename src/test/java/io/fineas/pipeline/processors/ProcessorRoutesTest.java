package io.fineas.pipeline.processors;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.IntStream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.infra.DiskSpace;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.support.RouteTestContext;
import io.fineas.pipeline.support.SourceServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The processor template and the capture routes as shipped (routes/processors/processor and capture, their error
 * configurations, the shared dead-letter route), in a Camel context of their own: no broker, no application boot, a
 * second or two in all. Each processor's alert consumer is fed from a {@code direct:} endpoint, and the three Kafka
 * publishes (records, run summary, dead letters) are replaced by mocks (AdviceWith), so a test sees exactly what would
 * be published: topic, key, headers and body. The beans are the real ones, over the in-process Mongo wire server, and
 * the sources answer over real HTTP (SourceServer). A send to a processor's endpoint returns once its run is over.
 * What needs the broker (offsets, a second alert waiting, crashes) stays in ProcessorTest and the crash tests.
 */
class ProcessorRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "routes";
    private static SourceServer source;
    private static EmbeddedMongoServer mongoServer;
    private static MongoClient mongo;
    private static Path folder;
    private static DefaultCamelContext context;
    private static ProducerTemplate producer;
    private static SimpleMeterRegistry meters;
    private static ProcessorStatus status;

    @BeforeAll
    static void startRoutes() throws Exception {
        source = new SourceServer();
        folder = Files.createTempDirectory("processor-routes");
        String base = source.baseUrl();
        write("feeds.json", "{\"topic\": \"" + TOPIC + "\", \"segment\": \"news\", \"data_list\": \"feeds.data.json\","
                + " \"source\": {\"kind\": \"rss\", \"url\": \"" + base + "/rss/{ticker}\","
                + " \"allow_private_network\": true}}");
        write("feeds.data.json", "[{\"ticker\": \"AAPL\"}, {\"ticker\": \"MSFT\"}]");
        write("filings.yaml", "topic: " + TOPIC + "\nsegment: filings\ndata_list: filings.data.json\n"
                + "source:\n  kind: rss\n  url: \"" + base + "/atom/{ticker}\"\n  allow_private_network: true\n");
        write("filings.data.json", "[{\"ticker\": \"NVDA\"}]");
        write("flaky.yaml", "topic: " + TOPIC + "\nsegment: flaky\ndata_list: flaky.data.json\nretries: 1\n"
                + "batch_size: 4\nworkers: 3\n"
                + "source:\n  kind: http\n  url: \"" + base + "/flaky/{n}\"\n  allow_private_network: true\n");
        write("flaky.data.json", JSON.writeValueAsString(IntStream.range(0, 10).mapToObj(i -> Map.of("n", i))
                .toList()));
        write("quotes.yaml", "topic: " + TOPIC + "\nsegment: quotes\ndata_list: quotes.data.json\n"
                + "source:\n  kind: http\n  url: \"" + base + "/json/{id}\"\n  allow_private_network: true\n");
        write("quotes.data.json", "[{\"id\": \"q1\"}, {\"id\": \"q2\"}, {\"id\": \"q3\"}]");
        Files.createDirectories(folder.resolve("stable"));
        Files.writeString(folder.resolve("stable/s.txt"), "Version one of the stable note.");
        write("stable.yaml", "topic: " + TOPIC + "\nsegment: stable\ndata_list: stable.data.json\n"
                + "source:\n  kind: file\n  root: stable\n");
        write("stable.data.json", "[{\"path\": \"s.txt\"}]");
        write("private.yaml", "topic: " + TOPIC + "\nsegment: private\ndata_list: private.data.json\n"
                + "source:\n  kind: http\n  url: \"" + base + "/private/{id}\"\n  allow_private_network: true\n"
                + "  headers:\n    X-Api-Key: \"{{test.private-source-key}}\"\n");
        write("private.data.json", "[{\"id\": \"p1\"}, {\"id\": \"p2\"}]");

        Files.createDirectories(folder.resolve("library/reports/2026"));
        Files.createDirectories(folder.resolve("library/broken"));
        Files.writeString(folder.resolve("library/reports/summary.md"), "# Summary\nMargins held.");
        Files.writeString(folder.resolve("library/reports/2026/q3.txt"), "Q3 revenue rose.");
        Files.writeString(folder.resolve("library/reports/.draft.txt"), "not for capture");
        Files.write(folder.resolve("library/broken/blob.bin"), new byte[] {(byte) 0xC3, (byte) 0x28});
        write("library.yaml", "topic: " + TOPIC + "\nsegment: library\ndata_list: library.data.json\n"
                + "source:\n  kind: file\n  root: library\n");
        write("library.data.json", "[{\"path\": \"reports\"}, {\"path\": \"broken\"}]");
        // hostile sources (CaptureGuard): one item each
        write("one.data.json", "[{\"n\": 1}]");
        String other = source.otherHostUrl();
        hostile("ssrf-metadata", base + "/redirect/{n}?to=http://169.254.169.254/latest/meta-data/", "");
        hostile("ssrf-other-host", base + "/redirect/{n}?to=" + other + "/echo-key/a",
                "  headers:\n    X-Api-Key: \"{{test.private-source-key}}\"\n");
        hostile("ssrf-loopback-port", base + "/redirect/{n}?to=http://127.0.0.1:1/", "");
        hostile("ssrf-allowed-host", base + "/redirect/{n}?to=" + other + "/echo-key/b",
                "  redirect_hosts: [localhost]\n  headers:\n    X-Api-Key: \"{{test.private-source-key}}\"\n");
        hostile("ssrf-same-origin", base + "/redirect/{n}?to=" + base + "/echo-key/c",
                "  headers:\n    X-Api-Key: \"{{test.private-source-key}}\"\n");
        write("ssrf-private.yaml", "topic: " + TOPIC + "\nsegment: ssrf-private\ndata_list: one.data.json\n"
                + "source:\n  kind: http\n  url: \"" + base + "/json/{n}\"\n");
        hostile("too-big", base + "/big/{n}?bytes=5000", "  max_response_bytes: 1000\n");
        hostile("too-slow", base + "/drip/{n}?seconds=5", "  deadline_ms: 1000\n");

        mongoServer = new EmbeddedMongoServer("127.0.0.1", 0, null).start();
        mongo = MongoClients.create(mongoServer.connectionString());
        MongoDatabase system = mongo.getDatabase("system");
        MongoDatabase data = mongo.getDatabase("data");
        // the topic as the gateway leaves it once created (its Kafka topic is not needed here)
        system.getCollection("topics").insertOne(new Document("_id", TOPIC).append("status", "active")
                .append("kafka_topic", "data-" + TOPIC).append("collection", TOPIC));
        TopicRegistry topics = new TopicRegistry(system.getCollection("topics"), data, null, "data-");
        Segments segments = new Segments(topics);
        for (String segment : List.of("news", "filings", "flaky", "stable", "private", "quotes", "library",
                "ssrf-metadata", "ssrf-other-host", "ssrf-loopback-port", "ssrf-allowed-host", "ssrf-same-origin",
                "ssrf-private", "too-big", "too-slow")) {
            segments.createSegment(TOPIC, segment);
        }
        status = new ProcessorStatus(system.getCollection("processors"), segments);

        Properties overrides = new Properties();
        overrides.put("pipeline.processors.retry-delay-ms", "1");
        overrides.put("pipeline.processors.item-timeout-ms", "3000");
        overrides.put("test.private-source-key", SourceServer.PRIVATE_KEY);
        context = RouteTestContext.create(overrides);
        meters = new SimpleMeterRegistry();
        context.getRegistry().bind("metricsRegistry", meters);

        // the beans as ProcessorBeans binds them
        ProcessorCatalog catalog = new ProcessorCatalog(folder, 25, 4, 2, context::resolvePropertyPlaceholders).load();
        assertThat(catalog.problems()).isEmpty();
        CaptureLedger ledger = new CaptureLedger(data, system.getCollection("processor_runs"),
                context.getExecutorServiceManager().newCachedThreadPool(context, "capture-ledger-read"));
        var registry = context.getRegistry();
        registry.bind("captureLedger", ledger);
        registry.bind("processorRuns", new ProcessorRuns(catalog.configs(), topics, segments, status,
                Duration.ofMinutes(60), ledger));
        registry.bind("captureRecords", new CaptureRecords());
        registry.bind("runProgress", new RunProgress(system.getCollection("runs")));
        registry.bind("captureRetryPolicy", new CaptureRetryPolicy());
        registry.bind("sourceHeaders", new SourceHeaders());
        registry.bind("diskSpace", new DiskSpace(folder, 0));
        for (ProcessorConfig c : catalog.configs()) {
            registry.bind("processor-" + c.id() + "-workers", context.getExecutorServiceManager()
                    .newFixedThreadPool(context, "processor-" + c.id(), c.workers()));
            registry.bind("processor-" + c.id() + "-http", CaptureGuard.configurer(c, c.workers()));
            status.ready(c);
        }

        RouteTestContext.load(context, "routes/errors/processor-errors.camel.yaml",
                "routes/errors/capture-errors.camel.yaml", "routes/errors/propagate-errors.camel.yaml",
                "routes/shared/dead-letter.camel.yaml", "routes/processors/processor.camel.yaml",
                "routes/processors/capture.camel.yaml");
        for (ProcessorConfig c : catalog.configs()) {
            TemplatedRouteBuilder.builder(context, "processor").routeId("processors-" + c.id())
                    .parameter("processorId", c.id()).parameter("batchSize", c.batchSize())
                    .parameter("workers", c.workers()).parameter("unlimited", c.rateLimit() == 0)
                    .parameter("rateLimit", Math.max(1, c.rateLimit())).parameter("ratePeriodMs", c.ratePeriodMs())
                    .add();
            // the alert topic, as this processor's consumer group reads it
            AdviceWith.adviceWith(context, "processors-" + c.id(), a -> a.replaceFromWith("direct:alert-" + c.id()));
        }
        // what would be published to Kafka, with the topic it would go to
        AdviceWith.adviceWith(context, "processors-publish-records", a -> a.weaveById("publish-record").replace()
                .setHeader("kafkaTopic", a.simple("${variable.run.dataTopic}")).convertBodyTo(String.class)
                .to("mock:records"));
        AdviceWith.adviceWith(context, "processors-publish-run-status", a -> a.weaveById("publish-run-summary")
                .replace().convertBodyTo(String.class).to("mock:run-status"));
        AdviceWith.adviceWith(context, "shared-publish-dead-letter", a -> a.weaveById("publish-dlq").replace()
                .setHeader("kafkaTopic", a.simple("${variable.dlqTopic}")).convertBodyTo(String.class).to("mock:dlq"));
        context.start();
        producer = context.createProducerTemplate();
    }

    @AfterAll
    static void stopRoutes() throws Exception {
        context.stop();
        mongo.close();
        mongoServer.close();
        source.close();
    }

    /** A processor of one item on a hostile local source (so it must allow the private network). */
    private static void hostile(String name, String url, String extraSource) throws Exception {
        write(name + ".yaml", "topic: " + TOPIC + "\nsegment: " + name + "\ndata_list: one.data.json\nretries: 2\n"
                + "source:\n  kind: http\n  url: \"" + url + "\"\n  allow_private_network: true\n" + extraSource);
    }

    private static void write(String name, String content) throws Exception {
        Files.writeString(folder.resolve(name), content);
    }

    /** Sends an alert for the topic and segments to one processor's consumer; returns once its run is over. */
    private static String alert(String processorId, String topic, String... segments) throws Exception {
        String runId = "run-" + UUID.randomUUID();
        producer.sendBody("direct:alert-" + processorId, JSON.writeValueAsString(Map.of("run_id", runId,
                "topic", topic, "segment_targets", List.of(segments), "requested_at", Instant.now().toString())));
        return runId;
    }

    private static List<Map<String, Object>> published(String mock, String runId) {
        return context.getEndpoint("mock:" + mock, MockEndpoint.class).getExchanges().stream()
                .map(ProcessorRoutesTest::json).filter(m -> runId.equals(m.get("run_id"))).toList();
    }

    private static List<Exchange> exchanges(String mock, String runId) {
        return context.getEndpoint("mock:" + mock, MockEndpoint.class).getExchanges().stream()
                .filter(e -> runId.equals(json(e).get("run_id"))).toList();
    }

    private static Map<String, Object> summary(String runId) {
        List<Map<String, Object>> summaries = published("run-status", runId);
        assertThat(summaries).as("one run summary for " + runId).hasSize(1);
        return summaries.get(0);
    }

    private static Map<String, Object> json(Exchange e) {
        try {
            return JSON.readValue(e.getMessage().getBody(String.class), new TypeReference<>() {
            });
        } catch (Exception notJson) {
            return Map.of();
        }
    }

    @Test
    void anAlertForItsSegmentCapturesEveryEntryOfAFeedAsARecordKeyedByItsSource() throws Exception {
        String runId = alert("feeds", TOPIC, "other", "news");

        List<Exchange> records = exchanges("records", runId);
        assertThat(records).hasSize(6).allSatisfy(e -> {
            Map<String, Object> r = json(e);
            assertThat(e.getMessage().getHeader("kafkaTopic")).isEqualTo("data-" + TOPIC);
            assertThat(e.getMessage().getHeader("kafka.KEY")).isNotNull();
            assertThat(r).containsEntry("topic", TOPIC).containsEntry("segment", "news")
                    .containsEntry("processor_id", "feeds").containsKey("generation");
            assertThat((String) r.get("content")).contains("reported result number");
        });
        assertThat(records).extracting(e -> e.getMessage().getHeader("kafka.KEY", String.class))
                .doesNotHaveDuplicates();
        assertThat(records).extracting(e -> (String) json(e).get("title")).contains("AAPL headline 1",
                "MSFT headline 3");
        assertThat(summary(runId)).containsEntry("status", "succeeded").containsEntry("items", 2)
                .containsEntry("items_ok", 2).containsEntry("records", 6);
        // an Atom feed the same way
        String atom = alert("filings", TOPIC, "filings");
        assertThat(published("records", atom)).hasSize(2)
                .allSatisfy(r -> assertThat((String) r.get("content")).contains("filed report number"));
    }

    @Test
    void anAlertForAnotherSegmentOrTopicStartsNoRun() throws Exception {
        long ignoredBefore = ignored("quotes");
        String otherSegment = alert("quotes", TOPIC, "filings");
        String otherTopic = alert("quotes", "elsewhere", "quotes");

        for (String runId : List.of(otherSegment, otherTopic)) {
            assertThat(published("records", runId)).isEmpty();
            assertThat(published("run-status", runId)).isEmpty();
            assertThat(published("dlq", runId)).isEmpty();
        }
        assertThat(ignored("quotes")).isEqualTo(ignoredBefore + 2);
        // "alert", the design's any-topic, reaches it
        assertThat(published("records", alert("quotes", "alert", "quotes"))).hasSize(3);
    }

    private static long ignored(String processorId) {
        Integer ignored = status.list(topic -> true).processors().stream().filter(p -> processorId.equals(p.id()))
                .findFirst().orElseThrow().alertsIgnored();
        return ignored == null ? 0 : ignored;
    }

    @Test
    void failingItemsGoToTheCaptureDeadLetterTopicAfterTheirRetriesAndTheRestIsCaptured() throws Exception {
        source.resetCounters();
        String runId = alert("flaky", TOPIC, "flaky");

        assertThat(published("records", runId)).extracting(r -> (Object) ((Map<?, ?>) r.get("parameters")).get("n"))
                .containsExactlyInAnyOrder(0, 1, 2, 4, 6, 8, 9);
        List<Exchange> dead = exchanges("dlq", runId);
        assertThat(dead).extracting(e -> (Object) ((Map<?, ?>) json(e).get("parameters")).get("n"))
                .containsExactlyInAnyOrder(3, 5, 7);
        assertThat(dead).allSatisfy(e -> {
            assertThat(e.getMessage().getHeader("kafkaTopic")).isEqualTo("capture.dlq");
            assertThat(e.getMessage().getHeader("kafka.KEY")).isEqualTo(runId);
            assertThat(e.getMessage().getHeader("dlq-reason", String.class)).isNotBlank()
                    .isEqualTo(json(e).get("error"));
        });
        // 5xx retried (retries: 1), 404 not
        assertThat(source.hits("/flaky/3")).isEqualTo(2);
        assertThat(source.hits("/flaky/7")).isEqualTo(2);
        assertThat(source.hits("/flaky/5")).isEqualTo(1);
        assertThat(summary(runId)).containsEntry("status", "partial").containsEntry("items_ok", 7)
                .containsEntry("items_failed", 3).containsEntry("records", 7);
    }

    @Test
    void aMalformedAlertGoesToTheAlertDeadLetterTopicWithItsReasonAndStartsNothing() throws Exception {
        MockEndpoint dlq = context.getEndpoint("mock:dlq", MockEndpoint.class);
        int before = dlq.getReceivedCounter();
        producer.sendBody("direct:alert-quotes", "this is not json");
        producer.sendBody("direct:alert-quotes", "{\"topic\": 42}");

        List<Exchange> dead = dlq.getExchanges().subList(before, dlq.getReceivedCounter());
        assertThat(dead).extracting(e -> e.getMessage().getBody(String.class))
                .containsExactly("this is not json", "{\"topic\": 42}");
        assertThat(dead).allSatisfy(e -> {
            assertThat(e.getMessage().getHeader("kafkaTopic")).isEqualTo("alert.dlq");
            assertThat(e.getMessage().getHeader("dlq-source-topic")).isEqualTo("alert");
            assertThat(e.getMessage().getHeader("dlq-reason", String.class)).isNotBlank();
        });
        // the processor goes on
        assertThat(published("records", alert("quotes", TOPIC, "quotes"))).hasSize(3);
    }

    @Test
    void contentUnchangedSinceItsLastCaptureIsNotPublishedAgainButCounted() throws Exception {
        String first = alert("stable", TOPIC, "stable");
        assertThat(published("records", first)).hasSize(1);
        assertThat(summary(first)).containsEntry("records", 1).containsEntry("records_unchanged", 0);
        double unchangedBefore = unchangedCounter();

        String second = alert("stable", TOPIC, "stable");
        assertThat(published("records", second)).isEmpty();
        assertThat(summary(second)).containsEntry("items_ok", 1).containsEntry("records", 1)
                .containsEntry("records_unchanged", 1);
        assertThat(unchangedCounter()).isEqualTo(unchangedBefore + 1);

        Files.writeString(folder.resolve("stable/s.txt"), "Version two of the stable note.");
        String third = alert("stable", TOPIC, "stable");
        assertThat(published("records", third)).singleElement()
                .satisfies(r -> assertThat(r).containsEntry("content", "Version two of the stable note."));
        assertThat(summary(third)).containsEntry("records_unchanged", 0);
    }

    private static double unchangedCounter() {
        var counter = meters.find("pipeline.records.unchanged").tag("stage", "capture").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aSourcesHeadersReachTheSourceAndNeverWhatIsPublished() throws Exception {
        String runId = alert("private", TOPIC, "private");

        List<Exchange> records = exchanges("records", runId);
        assertThat(records).hasSize(2).allSatisfy(e -> {
            assertThat(e.getMessage().getBody(String.class)).contains("secret_data")
                    .doesNotContain(SourceServer.PRIVATE_KEY);
            // every header the Kafka producer would turn into a record header
            e.getMessage().getHeaders().values().forEach(v -> assertThat(String.valueOf(v))
                    .doesNotContain(SourceServer.PRIVATE_KEY));
        });
        assertThat(summary(runId)).containsEntry("items_ok", 2).containsEntry("items_failed", 0);
        assertThat(new String(JSON.writeValueAsBytes(status.list(topic -> true)), StandardCharsets.UTF_8))
                .doesNotContain(SourceServer.PRIVATE_KEY);
    }
    @Test
    void aFolderItemGivesOneRecordPerFileAndANonTextFileFailsItsItem() throws Exception {
        String runId = alert("library", TOPIC, "library");

        List<Map<String, Object>> records = published("records", runId);
        assertThat(records).extracting(r -> (Object) ((Map<?, ?>) r.get("source")).get("id"))
                .containsExactlyInAnyOrder("reports/2026/q3.txt", "reports/summary.md");
        assertThat(records).extracting(r -> r.get("content"))
                .containsExactlyInAnyOrder("Q3 revenue rose.", "# Summary\nMargins held.");
        assertThat(published("dlq", runId)).singleElement().satisfies(e -> assertThat((String) e.get("error"))
                .contains("'broken/blob.bin' is not UTF-8 text"));
        assertThat(summary(runId)).containsEntry("items_ok", 1).containsEntry("items_failed", 1)
                .containsEntry("records", 2);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "ssrf-metadata      | /redirect/1 | leaves the source's host",
        "ssrf-other-host    | /redirect/1 | leaves the source's host",
        "ssrf-loopback-port | /redirect/1 | leaves the source's host",
        "ssrf-private       | /json/1     | loopback, private, link-local or metadata address",
        "too-big            | /big/1      | larger than 1000 bytes",
        "too-slow           | /drip/1     | not complete within 1000 ms"})
    void aCaptureItsRulesRefuseGoesToTheDeadLetterTopicWithItsReasonUntried(String processor, String path,
            String reason) throws Exception {
        source.resetCounters();
        long started = System.nanoTime();
        String runId = alert(processor, TOPIC, processor);

        assertThat(published("records", runId)).isEmpty();
        assertThat(published("dlq", runId)).singleElement()
                .satisfies(e -> assertThat((String) e.get("error")).contains(reason));
        assertThat(summary(runId)).containsEntry("items_ok", 0).containsEntry("items_failed", 1);
        // a refusal is not retried (retries: 2), and nothing was captured from where the redirect pointed
        assertThat(source.hits(path)).isLessThanOrEqualTo(1);
        assertThat(source.receivedKey("/echo-key/a")).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
    }

    @Test
    void aRedirectToAnAllowedHostIsFollowedWithoutTheSourcesHeaders() throws Exception {
        String allowed = alert("ssrf-allowed-host", TOPIC, "ssrf-allowed-host");
        assertThat(summary(allowed)).containsEntry("items_ok", 1);
        assertThat(published("records", allowed)).singleElement()
                .satisfies(r -> assertThat(r.toString()).contains("Echo page b"));
        // another host: reached, but the source's API key was not sent there
        assertThat(source.receivedKey("/echo-key/b")).isEmpty();

        String same = alert("ssrf-same-origin", TOPIC, "ssrf-same-origin");
        assertThat(summary(same)).containsEntry("items_ok", 1);
        // the same origin: the key goes along
        assertThat(source.receivedKey("/echo-key/c")).isEqualTo(SourceServer.PRIVATE_KEY);
    }
}
