package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.fineas.pipeline.support.PipelineInfrastructure;
import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Processors end to end: /collect on the gateway, the alert on the real broker, processor routes made from the
 * template, captures from a local HTTP source, records on the data topic, error records on the dead-letter topic,
 * and the run summary back in the gateway.
 */
class ProcessorTest extends PipelineTestSupport {

    private SourceServer source;
    private Path folder;
    private boolean topicReady;

    @Override
    protected String roles() {
        return "gateway,processors";
    }

    private String topic() {
        return "proc-" + ids().suffix();
    }

    private SourceServer source() {
        if (source == null) {
            source = new SourceServer();
        }
        return source;
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", processorsFolder().toString());
        p.put("pipeline.processors.retry-delay-ms", "50");
        p.put("pipeline.processors.item-timeout-ms", "3000");
    }

    /**
     * The processors of this test: http and file ones, and misconfigured ones. What each source kind captures, the
     * capture guard's refusals and the unchanged-content skip are tested on the routes alone (ProcessorRoutesTest).
     */
    private Path processorsFolder() {
        if (folder != null) {
            return folder;
        }
        try {
            folder = Files.createTempDirectory("processors");
            String base = source().baseUrl();
            String t = topic();
            write("quotes.yaml", "topic: " + t + "\nsegment: quotes\ndata_list: quotes.data.json\n"
                    + "source:\n  kind: http\n  url: \"" + base + "/json/{id}\"\n  allow_private_network: true\nbatch_size: 25\nworkers: 4\n");
            write("quotes.data.json", toJson(IntStream.range(0, 200).mapToObj(i -> Map.of("id", "q" + i)).toList()));
            write("limited.yaml", "topic: " + t + "\nsegment: limited\ndata_list: limited.data.json\nworkers: 4\n"
                    + "rate_limit: {requests: 4, per_seconds: 1}\n"
                    + "source:\n  kind: http\n  url: \"" + base + "/json/limited-{n}\"\n  allow_private_network: true\n");
            write("limited.data.json", toJson(IntStream.range(0, 10).mapToObj(i -> Map.of("n", i)).toList()));
            write("bad-limit.yaml", "topic: " + t + "\nsegment: x\ndata_list: notes.data.json\n"
                    + "rate_limit: {requests: 0}\nsource:\n  kind: file\n  root: notes\n");
            write("flaky.yaml", "topic: " + t + "\nsegment: flaky\ndata_list: flaky.data.json\nretries: 1\n"
                    + "source:\n  kind: http\n  url: \"" + base + "/flaky/{n}\"\n  allow_private_network: true\n");
            write("flaky.data.json", toJson(IntStream.range(0, 10).mapToObj(i -> Map.of("n", i)).toList()));
            Files.createDirectories(folder.resolve("notes"));
            Files.writeString(folder.resolve("notes/a.txt"), "Note A about margins.");
            write("notes.yaml", "topic: " + t + "\nsegment: notes\ndata_list: notes.data.json\n"
                    + "source:\n  kind: file\n  root: notes\n");
            write("notes.data.json", "[{\"path\": \"a.txt\"}]");
            write("memo.yaml", "topic: " + t + "\nsegment: memo\ndata_list: notes.data.json\n"
                    + "source:\n  kind: file\n  root: notes\n");
            write("private.data.json", "[{\"id\": \"p1\"}, {\"id\": \"p2\"}]");
            write("unset-secret.yaml", "topic: " + t + "\nsegment: x\ndata_list: private.data.json\n"
                    + "source:\n  kind: http\n  url: \"" + base + "/private/{id}\"\n  allow_private_network: true\n"
                    + "  headers:\n    Authorization: \"Bearer {{env:FINEAS_TEST_UNSET_TOKEN}}\"\n");
            write("later.yaml", "topic: " + t + "\nsegment: later\ndata_list: notes.data.json\n"
                    + "source:\n  kind: file\n  root: notes\n");
            write("orphan.yaml", "topic: nowhere-" + ids().suffix() + "\nsegment: lost\ndata_list: notes.data.json\n"
                    + "source:\n  kind: file\n  root: notes\n");
            // misconfigured
            write("broken.yaml", "topic: [unclosed\n");
            write("ftp.yaml", "topic: " + t + "\nsegment: x\ndata_list: notes.data.json\nsource:\n  kind: ftp\n");
            write("missing-var.yaml", "topic: " + t + "\nsegment: x\ndata_list: notes.data.json\n"
                    + "source:\n  kind: http\n  url: \"" + base + "/json/{ticker}\"\n  allow_private_network: true\n");
            write("escape.yaml", "topic: " + t + "\nsegment: x\ndata_list: ../../etc/passwd\n"
                    + "source:\n  kind: file\n");
            write("bad-list.yaml", "topic: " + t + "\nsegment: x\ndata_list: bad-list.data.json\n"
                    + "source:\n  kind: file\n");
            write("bad-list.data.json", "{\"not\": \"a list\"}");
            return folder;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void write(String name, String content) throws IOException {
        Files.writeString(folder.resolve(name), content);
    }

    @BeforeEach
    void topicAndSegments() {
        if (!topicReady) {
            createTopic(topic());
            for (String s : List.of("quotes", "flaky", "notes", "limited", "memo")) {
                createSegment(topic(), s);
            }
            topicReady = true;
        }
        source().resetCounters();
    }

    @AfterAll
    void stopSource() {
        source.close();
    }

    private String collect(String... segments) {
        return collectRun(topic(), segments);
    }

    private List<Map<String, Object>> records(String runId) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : readAll(dataTopic(topic()), Duration.ofMillis(300))) {
            Map<String, Object> m = parse(r.value());
            if (runId.equals(m.get("run_id"))) {
                out.add(m);
            }
        }
        return out;
    }

    /** The processor's summary of the run, once the run has ended. */
    private Map<String, Object> finishedSummary(String runId, String processor) {
        await().atMost(Duration.ofSeconds(30)).until(() -> processorSummary(runId, processor) != null);
        return processorSummary(runId, processor);
    }

    /** The error records the run sent to the capture dead-letter topic. */
    private List<Map<String, Object>> errorRecords(String runId) {
        return readAll("capture-" + ids().suffix() + ".dlq", Duration.ofMillis(300)).stream()
                .map(r -> parse(r.value())).filter(m -> runId.equals(m.get("run_id"))).toList();
    }

    private Map<String, Object> processorSummary(String runId, String processor) {
        Map<String, Object> run = get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json();
        Map<String, Object> processors = (Map<String, Object>) run.get("processors");
        return processors == null ? null : (Map<String, Object>) processors.get(processor);
    }

    private Map<String, Map<String, Object>> statuses() {
        List<Map<String, Object>> list = (List<Map<String, Object>>) get("/processors", "X-API-Key", ADMIN_KEY).json()
                .get("processors");
        return list.stream().collect(Collectors.toMap(m -> (String) m.get("id"), m -> m));
    }

    @Test
    void processorsAndRunsAreShownOnlyToKeysThatMayReadTheirTopic() {
        String other = uniqueName("elsewhere");
        createTopic(other);
        String otherKey = (String) post("/keys", Map.of("name", "other topic", "scopes", List.of("read:" + other)),
                "X-API-Key", ADMIN_KEY).json().get("api_key");
        String ownKey = (String) post("/keys", Map.of("name", "own topic", "scopes", List.of("read:" + topic())),
                "X-API-Key", ADMIN_KEY).json().get("api_key");
        String runId = collect("memo");
        finishedSummary(runId, "memo");

        assertThat((List<?>) get("/processors", "X-API-Key", otherKey).json().get("processors")).isEmpty();
        List<Map<String, Object>> own = (List<Map<String, Object>>) get("/processors", "X-API-Key", ownKey).json()
                .get("processors");
        assertThat(own).extracting(m -> m.get("id")).contains("memo", "notes")
                // misconfigured files without a topic of this key's: not this key's to see
                .doesNotContain("file:broken.yaml");
        assertThat(own).allSatisfy(m -> assertThat(m).containsEntry("topic", topic()));
        // another topic's run does not exist for this key; its own topic's does
        Response hidden = get("/runs/" + runId, "X-API-Key", otherKey);
        assertThat(hidden.status()).isEqualTo(404);
        assertThat(hidden.body()).doesNotContain(topic());
        assertThat(get("/runs/" + runId, "X-API-Key", ownKey).status()).isEqualTo(200);
        assertThat(get("/runs/" + runId, "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
    }

    @Test
    void twoHundredItemsWithFourWorkersYieldTwoHundredRecordsWithMetadata() throws Exception {
        String runId = collect("quotes");

        await().atMost(Duration.ofSeconds(60)).until(() -> processorSummary(runId, "quotes") != null);
        List<Map<String, Object>> records = records(runId);

        assertThat(records).hasSize(200);
        assertThat(records).extracting(r -> ((Map<String, Object>) r.get("parameters")).get("id"))
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 200).mapToObj(i -> "q" + i).toList());
        for (Map<String, Object> r : records) {
            assertThat(r).containsEntry("topic", topic()).containsEntry("segment", "quotes")
                    .containsEntry("processor_id", "quotes").containsEntry("run_id", runId)
                    .containsKey("captured_at");
            assertThat((String) r.get("content_type")).startsWith("application/json");
            String content = (String) r.get("content");
            assertThat(r.get("content_hash")).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(StandardCharsets.UTF_8))));
            Map<String, Object> src = (Map<String, Object>) r.get("source");
            assertThat(src).containsEntry("kind", "http");
            assertThat((String) src.get("id")).endsWith("/json/" + ((Map<?, ?>) r.get("parameters")).get("id"));
            assertThat(content).contains("\"id\":\"" + ((Map<?, ?>) r.get("parameters")).get("id") + "\"");
        }
        // the pool of 4 ran captures concurrently, never more than 4 at once
        assertThat(source().maxInFlight()).isBetween(2, 4);
        Map<String, Object> summary = processorSummary(runId, "quotes");
        assertThat(summary).containsEntry("items_ok", 200).containsEntry("items_failed", 0)
                .containsEntry("status", "succeeded");
        // its progress was written after each of its 8 batches of 25: the last holds the whole run's counts
        Map<String, Object> run = get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json();
        assertThat((Map<String, Object>) ((Map<String, Object>) run.get("progress")).get("quotes"))
                .containsEntry("items", 200).containsEntry("items_ok", 200).containsEntry("records", 200);
        assertThat(run).containsEntry("status", "reported").containsEntry("failures_total", 0);
    }

    @Test
    void aSecondAlertWaitsUntilTheRunningRunIsDone() {
        String first = collect("quotes");
        String second = collect("quotes");

        await().atMost(Duration.ofSeconds(90)).until(() -> processorSummary(first, "quotes") != null
                && processorSummary(second, "quotes") != null);
        Map<String, Object> a = processorSummary(first, "quotes");
        Map<String, Object> b = processorSummary(second, "quotes");
        assertThat(java.time.Instant.parse((String) b.get("started_at")))
                .isAfterOrEqualTo(java.time.Instant.parse((String) a.get("finished_at")));
        assertThat(a).containsEntry("items_ok", 200);
        assertThat(b).containsEntry("items_ok", 200);
    }

    @Test
    void anAlertReachesOnlyTheProcessorsOfItsSegments() {
        String runId = collect("notes");

        finishedSummary(runId, "notes");
        List<Map<String, Object>> records = records(runId);
        assertThat(records).hasSize(1);
        assertThat(records.get(0)).containsEntry("processor_id", "notes").containsEntry("content",
                "Note A about margins.");
        Map<String, Object> reported = (Map<String, Object>) get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json()
                .get("processors");
        assertThat(reported.keySet()).containsExactly("notes");
        assertThat(source().hits("/json/q0")).isZero();
        // the others saw the alert and counted it as not theirs
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(((Number) statuses().get("quotes").getOrDefault("alerts_ignored", 0)).intValue())
                        .isPositive());
    }

    @Test
    void aRateLimitedSourceGetsNoMoreRequestsPerPeriodThanItsLimit() {
        String runId = collect("limited");

        Map<String, Object> summary = finishedSummary(runId, "limited");
        assertThat(summary).containsEntry("items_ok", 10);
        // 4 workers could send all 10 at once; the limit lets 4 start per second (window shortened for clock jitter)
        assertThat(source().maxArrivalsWithin("/json/limited-", Duration.ofMillis(900))).isBetween(1, 4);
        assertThat(((Number) summary.get("duration_ms")).longValue())
                .isGreaterThanOrEqualTo(2000);
    }

    @Test
    void failingItemsBecomeErrorRecordsAndTheRestIsCaptured() {
        String runId = collect("flaky");

        Map<String, Object> summary = finishedSummary(runId, "flaky");
        assertThat(records(runId)).extracting(r -> (Object) ((Map<?, ?>) r.get("parameters")).get("n"))
                .containsExactlyInAnyOrder(0, 1, 2, 4, 6, 8, 9);
        List<Map<String, Object>> errors = errorRecords(runId);
        assertThat(errors).extracting(e -> (Object) ((Map<?, ?>) e.get("parameters")).get("n"))
                .containsExactlyInAnyOrder(3, 5, 7);
        assertThat(errors).allSatisfy(e -> assertThat((String) e.get("error")).isNotBlank());
        // 5xx retried (retries: 1), 404 not
        assertThat(source().hits("/flaky/3")).isEqualTo(2);
        assertThat(source().hits("/flaky/7")).isEqualTo(2);
        assertThat(source().hits("/flaky/5")).isEqualTo(1);
        assertThat(summary).containsEntry("items_ok", 7).containsEntry("items_failed", 3)
                .containsEntry("status", "partial");
        // the run shows each failed item with its reason (from the capture dead-letter topic), once each
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Map<String, Object> run = get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json();
            assertThat(run).containsEntry("failures_total", 3);
            List<Map<String, Object>> failures = (List<Map<String, Object>>) run.get("failures");
            assertThat(failures).extracting(f -> (Object) ((Map<?, ?>) f.get("parameters")).get("n"))
                    .containsExactlyInAnyOrder(3, 5, 7);
            assertThat(failures).allSatisfy(f -> assertThat(f).containsEntry("processor_id", "flaky")
                    .containsKey("failed_at").satisfies(x -> assertThat((String) x.get("error")).isNotBlank()));
        });
    }

    @Test
    void misconfiguredProcessorsAreReportedAndTheOthersRun() {
        Map<String, Map<String, Object>> statuses = statuses();
        Set<String> misconfigured = statuses.values().stream().filter(s -> "misconfigured".equals(s.get("status")))
                .map(s -> (String) s.get("file")).collect(Collectors.toSet());
        assertThat(misconfigured).containsExactlyInAnyOrder("broken.yaml", "ftp.yaml", "missing-var.yaml",
                "escape.yaml", "bad-list.yaml", "unset-secret.yaml", "bad-limit.yaml");
        assertThat((String) statuses.get("file:bad-limit.yaml").get("reason")).contains("rate_limit");
        assertThat((String) statuses.get("file:unset-secret.yaml").get("reason"))
                .contains("source.headers.Authorization").contains("FINEAS_TEST_UNSET_TOKEN");
        assertThat((String) statuses.get("file:ftp.yaml").get("reason")).contains("unknown source kind").contains("'ftp'");
        assertThat((String) statuses.get("file:missing-var.yaml").get("reason")).contains("'ticker'");
        assertThat((String) statuses.get("file:escape.yaml").get("reason")).contains("outside the processors folder");
        assertThat((String) statuses.get("file:broken.yaml").get("reason")).contains("not valid YAML");
        assertThat(statuses.get("quotes").get("status")).isIn("ready", "running");
        assertThat(context.getRoute("processors-quotes")).isNotNull();
        assertThat(context.getRoute("processors-ftp")).isNull();
    }

    @Test
    void aProcessorWhoseTopicIsMissingSaysSoAndDoesNotRun() throws Exception {
        assertThat(statuses().get("orphan")).containsEntry("status", "waiting");
        // an alert for it (straight onto Kafka: the gateway would refuse an unknown topic) does not start a run
        String runId = "orphan-run-" + ids().suffix();
        send(alertTopic(), "{\"run_id\":\"" + runId + "\",\"topic\":\"nowhere-" + ids().suffix()
                + "\",\"segment_targets\":[\"lost\"],\"requested_at\":\"" + java.time.Instant.now() + "\"}");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                assertThat((String) statuses().get("orphan").get("reason")).contains("does not exist"));
        // the gateway records every alert as a run (it may or may not have read this one yet): no processor ran it
        Response run = get("/runs/" + runId, "X-API-Key", ADMIN_KEY);
        assertThat(run.status()).as(run.body()).isIn(200, 404);
        if (run.status() == 200) {
            assertThat(run.json()).as(run.body()).containsEntry("status", "requested")
                    .containsEntry("processors_reported", 0);
        }
    }

    @Test
    void theStatusFollowsItsSegmentBeingCreatedAndDeletedWithoutAnAlert() {
        assertThat(statuses().get("later")).containsEntry("status", "waiting");
        assertThat((String) statuses().get("later").get("reason")).contains("'later' does not exist");

        createSegment(topic(), "later");
        assertThat(statuses().get("later")).containsEntry("status", "ready").doesNotContainKey("reason");

        Response deleted = post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic(), "segment", "later",
                "segment_action", "delete"));
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(statuses().get("later")).containsEntry("status", "waiting");
    }

    @Test
    void malformedAlertsGoToTheDeadLetterTopicAndTheConsumerGoesOn() throws Exception {
        send(alertTopic(), "this is not json");
        send(alertTopic(), "{\"topic\": 42}");

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<ConsumerRecord<String, String>> dead = readAll(alertTopic() + ".dlq", Duration.ofMillis(300));
            assertThat(dead).extracting(ConsumerRecord::value).contains("this is not json", "{\"topic\": 42}");
            assertThat(dead).allSatisfy(r -> assertThat(r.headers().lastHeader("dlq-reason")).isNotNull());
        });
        String runId = collect("memo");
        finishedSummary(runId, "memo");
        assertThat(records(runId)).hasSize(1);
    }

    private static void send(String topic, String value) throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, PipelineInfrastructure.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get();
        }
    }
}
