package io.fineas.pipeline.crash;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.support.OpenAiStandIn;
import io.fineas.pipeline.support.PipelineProcess;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Exactly one effect per record across crashes: the packaged jar (gateway, processors and RAG in one process, the
 * embedded Kafka and MongoDB in it) is killed with SIGKILL in the middle of a capture of 1,000 documents, started
 * again, killed again in the middle of their ingestion and analysis, and started again on the same data. Every store is
 * then counted exactly: one chunk per document in the vector index, one inference per document in the segment,
 * nothing in a dead-letter topic, every consumer group committed to the end. A clean restart afterwards and a
 * re-collect of the same documents change no count and make no model call (counted on an OpenAI-compatible stand-in).
 * Last, the topic is deleted and the process killed in the middle of the delete: the next start finishes it, its
 * deletion event and the removal of its vectors included.
 */
class CrashRecoveryIT {

    private static final int DOCUMENTS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "crash";
    private static final String SEGMENT = "notes";

    @Test
    void killedMidCaptureAndMidAnalysisEveryDocumentEndsOnceInEveryStore(@TempDir Path work) throws Exception {
        Path processors = work.resolve("processors");
        Files.createDirectories(processors.resolve("docs"));
        List<Map<String, String>> items = new ArrayList<>();
        for (int i = 0; i < DOCUMENTS; i++) {
            String name = String.format("doc-%04d.txt", i);
            Files.writeString(processors.resolve("docs").resolve(name), String.format(
                    "DOC-%d reports that plant %d shipped %d units in the quarter, above its plan.", i, i, 100 + i));
            items.add(Map.of("path", "docs/" + name));
        }
        Files.writeString(processors.resolve("notes.data.json"), JSON.writeValueAsString(items));
        // 100 captures a second: the capture of 1,000 documents lasts about ten seconds, long enough to be killed in
        Files.writeString(processors.resolve("crash-notes.yaml"), "topic: " + TOPIC + "\nsegment: " + SEGMENT
                + "\ndata_list: notes.data.json\nsource:\n  kind: file\n  root: .\nbatch_size: 50\nworkers: 2\n"
                + "rate_limit: {requests: 100, per_seconds: 1}\n");

        try (OpenAiStandIn model = new OpenAiStandIn(15)) {
            Map<String, String> env = new java.util.HashMap<>(model.env());
            env.put("PIPELINE_ROLES", "gateway,processors,rag");
            env.put("PROCESSORS_DIR", processors.toString());
            env.put("KAFKA_SESSION_TIMEOUT_MS", "8000");
            Path dataDir = work.resolve("data");
            PipelineProcess pipeline = new PipelineProcess(dataDir, Path.of("target", "crash-test"), env);
            try (pipeline) {
                pipeline.start();
                assertThat(pipeline.call("POST", "/topics", Map.of("topic", TOPIC, "topic_action", "create")))
                        .containsEntry("status", 201);
                assertThat(pipeline.call("POST", "/segments", Map.of("topic", TOPIC, "segment", SEGMENT,
                        "segment_action", "create"))).containsEntry("status", 201);
                String runId = runId(pipeline.call("POST", "/collect", List.of(Map.of("topic", TOPIC,
                        "segment_targets", List.of(SEGMENT)))));

                // 1. killed in the middle of the capture
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                        .until(() -> pipeline.records("data-" + TOPIC) >= 300);
                long capturedBeforeKill = pipeline.records("data-" + TOPIC);
                pipeline.kill();
                System.out.printf("killed during capture: %d records published just before%n", capturedBeforeKill);
                assertThat(capturedBeforeKill).as("killed before the capture was done").isLessThan(DOCUMENTS);

                // 2. started again, killed in the middle of the analysis
                pipeline.start();
                try (MongoClient mongo = MongoClients.create(pipeline.mongoUri())) {
                    MongoCollection<Document> collection = mongo.getDatabase("fineas").getCollection(TOPIC);
                    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                            .until(() -> inferences(collection) >= 200);
                    long analysedAtKill = inferences(collection);
                    int chunksAtKill = pipeline.chunks();
                    pipeline.kill();
                    System.out.printf("killed during analysis: %d inferences stored, %d model calls, %d chunks%n",
                            analysedAtKill, model.calls(), chunksAtKill);
                    assertThat(analysedAtKill).as("killed before the analysis was done").isLessThan(DOCUMENTS);
                }

                // 3. started again: everything arrives, once
                long restarted = System.nanoTime();
                pipeline.start();
                try (MongoClient mongo = MongoClients.create(pipeline.mongoUri())) {
                    MongoCollection<Document> collection = mongo.getDatabase("fineas").getCollection(TOPIC);
                    await().atMost(Duration.ofSeconds(240)).pollInterval(Duration.ofMillis(500))
                            .until(() -> inferences(collection) >= DOCUMENTS && pipeline.chunks() >= DOCUMENTS
                                    && processorSummary(pipeline, runId) != null);
                    // caught up: every group committed to the end
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        assertThat(pipeline.lag("processor-crash-notes", "alert")).isZero();
                        assertThat(pipeline.lag("rag-ingest", "data-" + TOPIC)).isZero();
                        assertThat(pipeline.lag("llm-analysis", "data-" + TOPIC)).isZero();
                        assertThat(pipeline.lag("store-inference", "inference")).isZero();
                        assertThat(pipeline.lag("gateway-run-status", "run-status")).isZero();
                    });
                    System.out.printf("recovery: caught up %d ms after the restart that followed the kill during the "
                            + "analysis (start-up included)%n", (System.nanoTime() - restarted) / 1_000_000);
                    assertExactlyOnce(collection, pipeline, model);
                    Map<String, Object> summary = processorSummary(pipeline, runId);
                    assertThat(summary).containsEntry("items", DOCUMENTS).containsEntry("items_ok", DOCUMENTS)
                            .containsEntry("items_failed", 0);
                    System.out.printf("after two kills: %d model calls for %d documents; summary %s%n",
                            model.calls(), DOCUMENTS, summary);
                    // the replays repeat at most what was in flight at each kill, never the whole topic
                    assertThat(model.calls()).isLessThanOrEqualTo(DOCUMENTS + 100);
                }

                // 4. a clean restart changes no count and makes no model call
                pipeline.stop();
                int callsBefore = model.calls();
                pipeline.start();
                try (MongoClient mongo = MongoClients.create(pipeline.mongoUri())) {
                    MongoCollection<Document> collection = mongo.getDatabase("fineas").getCollection(TOPIC);
                    await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(30))
                            .until(() -> model.calls() == callsBefore && inferences(collection) == DOCUMENTS);
                    assertExactlyOnce(collection, pipeline, model);

                    // 5. a re-collect of the same documents publishes nothing and calls no model
                    String again = runId(pipeline.call("POST", "/collect", List.of(Map.of("topic", TOPIC,
                            "segment_targets", List.of(SEGMENT)))));
                    await().atMost(Duration.ofSeconds(60)).until(() -> processorSummary(pipeline, again) != null);
                    assertThat(processorSummary(pipeline, again)).containsEntry("items_ok", DOCUMENTS)
                            .containsEntry("records_unchanged", DOCUMENTS);
                    assertThat(model.calls()).isEqualTo(callsBefore);
                    assertExactlyOnce(collection, pipeline, model);
                }

                // 6. killed in the middle of deleting the topic: once its Kafka topic is gone, before the rest is done
                assertThat(pipeline.records("pipeline-events")).isZero();
                java.util.concurrent.CompletableFuture.runAsync(() -> pipeline.call("POST", "/topics",
                        Map.of("topic", TOPIC, "topic_action", "delete"))).exceptionally(e -> null);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                        .until(() -> !pipeline.topics().contains("data-" + TOPIC));
                pipeline.kill();
                pipeline.start();
                // finished at the start: nothing of the topic is left anywhere, its vectors included
                try (MongoClient mongo = MongoClients.create(pipeline.mongoUri())) {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        assertThat(mongo.getDatabase("fineas_system").getCollection("topics")
                                .countDocuments(Filters.eq("_id", TOPIC))).isZero();
                        assertThat(mongo.getDatabase("fineas").listCollectionNames().into(new ArrayList<>()))
                                .doesNotContain(TOPIC);
                        assertThat(pipeline.records("pipeline-events")).isPositive();
                        assertThat(pipeline.chunks()).isZero();
                    });
                    assertThat(pipeline.topics()).doesNotContain("data-" + TOPIC);
                    assertThat((List<Map<String, Object>>) pipeline.call("GET", "/topics", null).get("topics"))
                            .extracting(t -> t.get("topic")).doesNotContain(TOPIC);
                }
            }
        }
    }

    /** Chunks, inferences, dead letters: one chunk and one inference per document, nothing dead-lettered. */
    private static void assertExactlyOnce(MongoCollection<Document> collection, PipelineProcess pipeline,
            OpenAiStandIn model) throws Exception {
        assertThat(inferences(collection)).isEqualTo(DOCUMENTS);
        Set<String> sources = new HashSet<>();
        collection.find(Filters.and(Filters.eq("kind", "inference"), Filters.eq("segment", SEGMENT)))
                .forEach(d -> sources.add(d.getString("source")));
        assertThat(sources).hasSize(DOCUMENTS);
        assertThat(pipeline.chunks()).isEqualTo(DOCUMENTS);
        for (String dlq : List.of("alert.dlq", "capture.dlq", "ingest.dlq", "llm.dlq", "run-status.dlq")) {
            assertThat(pipeline.records(dlq)).as(dlq).isZero();
        }
        // every document was analysed at least once
        assertThat(IntStream.range(0, DOCUMENTS).filter(i -> model.callsFor("DOC-" + i) == 0).boxed().toList())
                .isEmpty();
    }

    private static long inferences(MongoCollection<Document> collection) {
        return collection.countDocuments(Filters.and(Filters.eq("kind", "inference"), Filters.eq("segment", SEGMENT)));
    }

    @SuppressWarnings("unchecked")
    private static String runId(Map<String, Object> answer) {
        assertThat(answer).containsEntry("status", 202);
        return (String) ((List<Map<String, Object>>) answer.get("runs")).get(0).get("run_id");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> processorSummary(PipelineProcess pipeline, String runId) {
        Map<String, Object> run = pipeline.call("GET", "/runs/" + runId, null);
        Object processors = run.get("processors");
        return processors instanceof Map<?, ?> p ? (Map<String, Object>) p.get("crash-notes") : null;
    }
}
