package io.fineas.pipeline.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fineas.pipeline.support.KafkaRecords;
import io.fineas.pipeline.support.OtlpReceiver;
import io.fineas.pipeline.support.PipelineProcess;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The pipeline as the design deploys it: the packaged jar as separate operating-system processes, one per role
 * (gateway and scheduler, processors, RAG), plus the embedded Kafka broker and MongoDB server in a process of their
 * own (PIPELINE_ROLES=infra) on private ports. The README's walkthrough runs across them; processors scale to two
 * processes and each alert still runs once; the RAG process killed with SIGKILL mid-work catches up after a restart,
 * with exactly one inference per document.
 */
class ThreeProcessIT {

    private static final Path LOGS = Path.of("target", "three-process");
    private static final String TOPIC = "three";
    private static final String SEGMENT = "notes";

    /**
     * A worker started before Kafka and MongoDB answer waits for them, saying so, and starts once they do (as
     * containers that start in any order need).
     */
    @Test
    void aWorkerStartedBeforeItsInfrastructureWaitsForIt(@TempDir Path dir) throws Exception {
        int kafkaPort = PipelineProcess.freePort();
        int mongoPort = PipelineProcess.freePort();
        Path processors = dir.resolve("processors-yaml");
        Files.createDirectories(processors);
        try (PipelineProcess worker = new PipelineProcess(dir.resolve("worker"), LOGS.resolve("waiting-worker"), Map.of(
                "PIPELINE_ROLES", "processors", "PROCESSORS_DIR", processors.toString(),
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:" + kafkaPort, "MONGODB_URI", "mongodb://127.0.0.1:" + mongoPort))
                .launch()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> worker.output().contains("Waiting for MongoDB"));
            Thread.sleep(3000);
            assertThat(worker.isAlive()).isTrue();
            try (PipelineProcess infra = new PipelineProcess(dir.resolve("infra"), LOGS.resolve("late-infra"), Map.of(
                    "PIPELINE_ROLES", "infra", "PIPELINE_EMBEDDED_KAFKA", "true", "PIPELINE_EMBEDDED_MONGODB", "true",
                    "PIPELINE_EMBEDDED_KAFKA_PORT", Integer.toString(kafkaPort),
                    "PIPELINE_EMBEDDED_MONGODB_PORT", Integer.toString(mongoPort))).start()) {
                worker.awaitReady(Duration.ofSeconds(90));
                assertThat(worker.output()).contains("MongoDB (MONGODB_URI) answers");
            }
        }
    }

    @Test
    void onePipelineInThreeProcesses(@TempDir Path dir) throws Exception {
        Path processors = dir.resolve("processors-yaml");
        Files.createDirectories(processors.resolve("docs"));
        for (int i = 0; i < 20; i++) {
            writeDoc(processors, i);
        }
        Files.writeString(processors.resolve("notes.yaml"), "topic: " + TOPIC + "\nsegment: " + SEGMENT
                + "\ndata_list: notes.data.json\nsource:\n  kind: file\n  root: .\n");
        Files.writeString(processors.resolve("notes.data.json"), "[{\"path\": \"docs\"}]");
        Path schedule = dir.resolve("schedule.json");
        Files.writeString(schedule, "[]");
        String run = UUID.randomUUID().toString().substring(0, 8);

        try (OtlpReceiver collector = new OtlpReceiver();
                PipelineProcess infra = new PipelineProcess(dir.resolve("infra"), LOGS.resolve("infra"), Map.of(
                "PIPELINE_ROLES", "infra", "PIPELINE_EMBEDDED_KAFKA", "true", "PIPELINE_EMBEDDED_MONGODB", "true"))
                .start()) {
            // every process exports its spans to one collector, as a deployment with OTEL_* set does
            Map<String, String> shared = Map.of("KAFKA_BOOTSTRAP_SERVERS", infra.kafka(), "MONGODB_URI",
                    infra.mongoUri(), "KAFKA_SESSION_TIMEOUT_MS", "10000",
                    "OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint(), "OTEL_BSP_SCHEDULE_DELAY", "200");
            PipelineProcess ragProcess = role(dir, "rag", shared, Map.of("PIPELINE_ROLES", "rag"));
            try (PipelineProcess gateway = role(dir, "gateway", shared, Map.of("PIPELINE_ROLES", "gateway,scheduler",
                    "SCHEDULE_FILE", schedule.toString(), "SCHEDULER_REDIS_PREFIX", "three:" + run,
                    "GATEWAY_RATE_LIMIT_PREFIX", "three-rate:" + run, "RAG_URL", ragProcess.url(""))).start();
                    PipelineProcess workers = role(dir, "processors-1", shared, Map.of("PIPELINE_ROLES", "processors",
                            "PROCESSORS_DIR", processors.toString())).start();
                    PipelineProcess rag = ragProcess.start()) {

                // each role opens only the ports it serves: the processors no API port
                assertThat(workers.status(workers.url("/topics"))).isEqualTo(-1);
                assertThat(workers.status(workers.managementUrl("/observe/health/ready"))).isEqualTo(200);

                // the walkthrough, across the processes
                assertThat(gateway.call("POST", "/topics", Map.of("topic", TOPIC, "topic_action", "create")))
                        .containsEntry("status", 201);
                assertThat(gateway.call("POST", "/segments", Map.of("topic", TOPIC, "segment", SEGMENT,
                        "segment_action", "create"))).containsEntry("status", 201);
                String first = collect(gateway);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(summary(gateway, first))
                        .containsEntry("items_ok", 1).containsEntry("records", 20));
                await().atMost(Duration.ofSeconds(120)).untilAsserted(
                        () -> assertThat(gateway.inferences(TOPIC, SEGMENT)).isEqualTo(20));
                theRunIsOneTraceAcrossTheProcesses(collector, gateway, first);
                Map<String, Object> found = rag.call("POST", "/search", Map.of("query", "harbour crane number 7",
                        "topic", TOPIC, "k", 3));
                assertThat(found).containsEntry("status", 200);
                assertThat(found.toString()).contains("doc-7.txt");
                // one origin for the console: the gateway answers /search and /lineage as the RAG process does
                assertThat(gateway.call("POST", "/search", Map.of("query", "harbour crane number 7", "topic", TOPIC,
                        "k", 3))).isEqualTo(found);
                String chunk = (String) ((Map<?, ?>) ((List<?>) found.get("results")).get(0)).get("id");
                String lineagePath = "/lineage/"
                        + java.net.URLEncoder.encode(chunk, java.nio.charset.StandardCharsets.UTF_8);
                Map<String, Object> lineage = gateway.call("GET", lineagePath, null);
                assertThat(lineage).containsEntry("status", 200).isEqualTo(rag.call("GET", lineagePath, null));
                assertThat(lineage.toString()).contains("doc-7.txt");
                Map<String, Object> chat = gateway.call("POST", "/chat", Map.of("question",
                        "What does harbour crane number 12 lift?", "topic", TOPIC));
                assertThat(chat).containsEntry("status", 200);
                assertThat((List<?>) chat.get("sources")).isNotEmpty();
                assertThat(chat.toString()).contains("doc-12.txt");

                // two processor processes share the alerts: each runs once
                try (PipelineProcess second = role(dir, "processors-2", shared, Map.of("PIPELINE_ROLES", "processors",
                        "PROCESSORS_DIR", processors.toString())).start()) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> members(infra, "processor-notes") == 2);
                    List<String> runs = List.of(collect(gateway), collect(gateway), collect(gateway),
                            collect(gateway));
                    for (String r : runs) {
                        await().atMost(Duration.ofSeconds(60)).until(() -> summary(gateway, r) != null);
                    }
                    Map<String, Integer> summaries = runSummaries(infra);
                    for (String r : runs) {
                        assertThat(summaries.get(r)).as("run-status summaries of run " + r).isEqualTo(1);
                    }
                }

                // the RAG process killed mid-work catches up after a restart: every new document searchable and
                // analysed once
                for (int i = 20; i < 60; i++) {
                    writeDoc(processors, i);
                }
                collect(gateway);
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .until(() -> gateway.inferences(TOPIC, SEGMENT) > 21);
                rag.kill();
                long atKill = gateway.inferences(TOPIC, SEGMENT);
                long killed = System.nanoTime();
                rag.start();
                long ready = System.nanoTime();
                // how long the restarted process waits for the dead member's partitions (the session timeout)
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .until(() -> gateway.inferences(TOPIC, SEGMENT) > atKill);
                long resumed = System.nanoTime();
                await().atMost(Duration.ofSeconds(240)).untilAsserted(
                        () -> assertThat(gateway.inferences(TOPIC, SEGMENT)).isEqualTo(60));
                System.out.printf("RAG killed with %d of 60 inferences stored; ready again %d ms after the kill, its "
                        + "first new inference %d ms after ready (KAFKA_SESSION_TIMEOUT_MS 10000); all 60 after its "
                        + "restart%n", atKill, (ready - killed) / 1_000_000, (resumed - ready) / 1_000_000);
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(rag.call("POST", "/search",
                        Map.of("query", "harbour crane number 59", "topic", TOPIC, "k", 3)).toString())
                        .contains("doc-59.txt"));
            }
        }
    }

    /**
     * The run's trace, as the collector received it from three processes: the gateway's POST /collect, the processor
     * process's run and captures, and each record's ingestion, analysis and stored inference in the RAG process.
     */
    private static void theRunIsOneTraceAcrossTheProcesses(OtlpReceiver collector, PipelineProcess gateway,
            String run) {
        String traceId = (String) gateway.call("GET", "/runs/" + run, null).get("trace_id");
        assertThat(traceId).as("the run's trace id").matches("[0-9a-f]{32}");
        // each of the 20 records in each stage; a record polled again after a rebalance of the two ingestion
        // consumers (at-least-once: its effect is idempotent, the stores hold it once) has a second span under the
        // same producer, which the trace shows as it happened (seen once in CI: 23 ingestion spans for 20 records)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<OtlpReceiver.ReceivedSpan> trace = collector.trace(traceId);
            for (String stage : List.of("rag-vector-ingest record", "rag-analysis record",
                    "rag-store-inference record")) {
                assertThat(trace.stream().filter(s -> s.name().equals(stage) && "fineas-rag".equals(s.service()))
                        .map(OtlpReceiver.ReceivedSpan::parentSpanId).distinct()).as(stage).hasSize(20);
            }
        });
        List<OtlpReceiver.ReceivedSpan> trace = collector.trace(traceId);
        assertThat(trace).anySatisfy(s -> {
            assertThat(s.service()).isEqualTo("fineas-gateway+scheduler");
            assertThat(s.name()).isEqualTo("/collect");
            assertThat(s.parentSpanId()).isNull();
        });
        assertThat(trace).anySatisfy(s -> {
            assertThat(s.service()).isEqualTo("fineas-processors");
            assertThat(s.attributes()).containsEntry("pipeline.stage", "processor")
                    .containsEntry("pipeline.run_id", run).containsEntry("pipeline.processor_id", "notes");
        });
        // every span but the root has its parent in the trace, whichever process sent it
        java.util.Set<String> ids = trace.stream().map(OtlpReceiver.ReceivedSpan::spanId)
                .collect(java.util.stream.Collectors.toSet());
        assertThat(trace.stream().filter(s -> s.parentSpanId() != null))
                .allSatisfy(s -> assertThat(ids).contains(s.parentSpanId()));
        // never captured content
        assertThat(trace.toString()).doesNotContain("containers an hour");
    }

    private static PipelineProcess role(Path dir, String name, Map<String, String> shared, Map<String, String> own) {
        return PipelineProcess.role(dir, LOGS, name, shared, own);
    }

    private static void writeDoc(Path processors, int i) throws Exception {
        Files.writeString(processors.resolve("docs/doc-" + i + ".txt"), "Harbour crane number " + i + " lifts "
                + (i * 7 + 3) + " containers an hour at berth " + (i % 5) + ". Its operator logged maintenance on "
                + "the hoist after shift " + i + ".");
    }

    private static String collect(PipelineProcess gateway) {
        Map<String, Object> accepted = gateway.call("POST", "/collect", List.of(Map.of("topic", TOPIC,
                "segment_targets", List.of(SEGMENT))));
        assertThat(accepted).containsEntry("status", 202);
        return (String) ((List<Map<String, Object>>) accepted.get("runs")).get(0).get("run_id");
    }

    private static Map<String, Object> summary(PipelineProcess gateway, String runId) {
        Map<String, Object> answer = gateway.call("GET", "/runs/" + runId, null);
        Map<String, Object> processors = (Map<String, Object>) answer.get("processors");
        return processors == null ? null : (Map<String, Object>) processors.get("notes");
    }

    private static int members(PipelineProcess infra, String group) throws Exception {
        try (var admin = infra.admin()) {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().size();
        }
    }

    /** How many run summaries each run id has on the run-status topic. */
    private static Map<String, Integer> runSummaries(PipelineProcess infra) {
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<String, String> r : KafkaRecords.readAll(infra.kafka(), "run-status",
                Duration.ofSeconds(3))) {
            counts.merge(r.key(), 1, Integer::sum);
        }
        return counts;
    }
}
