package io.fineas.pipeline.crash;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.support.OpenAiStandIn;
import io.fineas.pipeline.support.PipelineProcess;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * MongoDB unreachable for twenty seconds (more than six times the driver's server selection timeout) in the middle of a
 * collection: the pipeline (gateway, processors, RAG) talks
 * to a MongoDB server of the test's own, file-backed, stopped while documents are being captured, embedded and
 * analysed, and started again on the same port and file. Every document ends captured, stored and analysed exactly
 * once; nothing is dead-lettered for the outage, and readiness says what waited.
 */
class MongoOutageTest extends PipelineTestSupport {

    private static final int DOCUMENTS = 100;
    private int mongoPort;
    private Path mongoFile;
    private EmbeddedMongoServer mongoServer;
    private OpenAiStandIn model;
    private Path folder;

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        try {
            mongoPort = PipelineProcess.freePort();
            mongoFile = Files.createTempDirectory("mongo-outage").resolve("mongo.mv");
            mongoServer = new EmbeddedMongoServer("127.0.0.1", mongoPort, mongoFile).start();
            model = new OpenAiStandIn(0);
            folder = Files.createTempDirectory("outage-processors");
            Files.createDirectories(folder.resolve("docs"));
            List<Map<String, String>> items = new ArrayList<>();
            for (int i = 0; i < DOCUMENTS; i++) {
                Files.writeString(folder.resolve("docs/d" + i + ".txt"), "DOC-" + i + " notes a rise in port traffic.");
                items.add(Map.of("path", "docs/d" + i + ".txt"));
            }
            Files.writeString(folder.resolve("docs.data.json"), toJson(items));
            // 20 captures a second: the capture lasts five seconds, the outage comes in the middle of it
            Files.writeString(folder.resolve("docs.yaml"), "topic: outage\nsegment: docs\ndata_list: docs.data.json\n"
                    + "batch_size: 20\nworkers: 2\nrate_limit: {requests: 20, per_seconds: 1}\n"
                    + "source:\n  kind: file\n  root: .\n");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // the driver waits 3 s for a server, not its default 30 s: the outage is over six times that, so every stage meets
        // MongoDB failing, not just slow
        p.put("mongodb.uri", "mongodb://127.0.0.1:" + mongoPort + "/?serverSelectionTimeoutMS=3000");
        p.put("pipeline.processors.dir", folder.toString());
        model.configure(p, ids().suffix());
    }

    @AfterAll
    void stopServers() {
        model.close();
        mongoServer.close();
    }

    @Test
    void everyDocumentIsStoredAndAnalysedOnceAcrossAMongoOutage() throws Exception {
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + mongoPort)) {
            createTopic("outage");
            createSegment("outage", "docs");
            Response r = post("/collect", List.of(Map.of("topic", "outage", "segment_targets", List.of("docs"))),
                    "X-API-Key", ADMIN_KEY);
            String runId = (String) ((List<Map<String, Object>>) r.json().get("runs")).get(0).get("run_id");

            await().atMost(Duration.ofSeconds(30)).until(() -> readAll(dataTopic("outage"), Duration.ofMillis(100))
                    .size() >= 20);
            mongoServer.close();
            long outageStarted = System.nanoTime();
            // readiness says what waits, and on what
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(readiness())
                    .contains("{\"name\":\"rag-stores\",\"status\":\"DOWN\"").contains("waits since"));
            Thread.sleep(Math.max(0, 20_000 - (System.nanoTime() - outageStarted) / 1_000_000)); // the outage: 20 s
            mongoServer = new EmbeddedMongoServer("127.0.0.1", mongoPort, mongoFile).start();

            var collection = client.getDatabase(dataDatabase()).getCollection("outage");
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).until(() -> collection
                    .countDocuments(Filters.eq("kind", "inference")) >= DOCUMENTS && chunks() >= DOCUMENTS
                    && summary(client, runId) != null);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> collection.countDocuments(Filters.eq("kind", "inference")) == DOCUMENTS);
            assertThat(chunks()).isEqualTo(DOCUMENTS);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(readiness())
                    .contains("{\"name\":\"rag-stores\",\"status\":\"UP\"}"));
            assertThat(summary(client, runId)).containsEntry("items_ok", DOCUMENTS).containsEntry("items_failed", 0);
            for (String dlq : List.of("capture-" + ids().suffix() + ".dlq", "ingest-" + ids().suffix() + ".dlq",
                    "llm-" + ids().suffix() + ".dlq")) {
                assertThat(readAll(dlq, Duration.ofMillis(300))).as(dlq).isEmpty();
            }
            assertThat(model.completions()).isBetween(DOCUMENTS, DOCUMENTS + 25);
        }
    }

    private String readiness() {
        return send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + ids().managementPort() + "/observe/health/ready?exposureLevel=full")).GET()).body();
    }

    private int chunks() {
        return context.getRegistry().lookupByNameAndType("vectorStore", LuceneVectorStore.class).count();
    }

    private Map<String, Object> summary(MongoClient client, String runId) {
        var run = client.getDatabase(ids().systemDatabase()).getCollection("runs").find(Filters.eq("_id", runId))
                .first();
        return run == null || !(run.get("processors") instanceof org.bson.Document p) ? null
                : (Map<String, Object>) p.get("docs");
    }
}
