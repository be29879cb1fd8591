package io.fineas.pipeline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.mongodb.client.model.Filters;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.support.OpenAiStandIn;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Re-collecting 1,000 unchanged documents against their first collection, in the same run: the first collection is
 * captured, embedded (in-process MiniLM) and analysed (an OpenAI-compatible stand-in answering at once, so the figure
 * is the pipeline's own work); the second finds every document unchanged. Wall time from POST /collect until
 * everything is done, and the model calls of each. Run with: mvn -B verify -Pbench -Dbench=RecollectBenchmark
 */
class RecollectBenchmark extends PipelineTestSupport {

    private static final int DOCUMENTS = Integer.getInteger("bench.documents", 1000);
    private OpenAiStandIn model;
    private Path folder;

    private OpenAiStandIn model() {
        if (model == null) {
            model = new OpenAiStandIn(0);
        }
        return model;
    }

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folder().toString());
        model().configure(p, ids().suffix());
    }

    private String topic() {
        return "recollect" + ids().suffix().toLowerCase().replaceAll("[^a-z0-9]", "");
    }

    private Path folder() {
        if (folder == null) {
            try {
                folder = Files.createTempDirectory("bench-recollect");
                Files.createDirectories(folder.resolve("docs"));
                List<Map<String, String>> items = new ArrayList<>();
                for (int i = 0; i < DOCUMENTS; i++) {
                    String name = String.format("doc-%04d.txt", i);
                    Files.writeString(folder.resolve("docs").resolve(name), String.format("DOC-%d: plant %d shipped %d "
                            + "units in the quarter, above plan, while freight costs eased and lead times shortened.",
                            i, i, 100 + i));
                    items.add(Map.of("path", "docs/" + name));
                }
                Files.writeString(folder.resolve("docs.data.json"), toJson(items));
                Files.writeString(folder.resolve("docs.yaml"), "topic: " + topic() + "\nsegment: docs\n"
                        + "data_list: docs.data.json\nbatch_size: 100\nworkers: 4\nsource:\n  kind: file\n  root: .\n");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return folder;
    }

    @AfterAll
    void stopModel() {
        model.close();
    }

    private String collect() {
        Response r = post("/collect", List.of(Map.of("topic", topic(), "segment_targets", List.of("docs"))),
                "X-API-Key", ADMIN_KEY);
        return (String) ((List<Map<String, Object>>) r.json().get("runs")).get(0).get("run_id");
    }

    private Map<String, Object> summary(String runId) {
        Object processors = get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json().get("processors");
        return processors instanceof Map<?, ?> p ? (Map<String, Object>) p.get("docs") : null;
    }

    private long inferences() {
        return mongo().getDatabase(dataDatabase()).getCollection(topic())
                .countDocuments(Filters.eq("kind", "inference"));
    }

    private int chunks() {
        return context.getRegistry().lookupByNameAndType("vectorStore", LuceneVectorStore.class).count();
    }

    @Test
    void reCollectingUnchangedDocumentsAgainstTheirFirstCollection() throws Exception {
        createTopic(topic());
        createSegment(topic(), "docs");

        long start = System.nanoTime();
        String first = collect();
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> summary(first) != null && chunks() >= DOCUMENTS && inferences() >= DOCUMENTS);
        double firstMs = (System.nanoTime() - start) / 1e6;
        int firstCalls = model().calls();

        start = System.nanoTime();
        String second = collect();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> summary(second) != null);
        double secondMs = (System.nanoTime() - start) / 1e6;
        // nothing follows downstream: no record published, so nothing to embed or analyse
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                .until(() -> model().calls() == firstCalls && chunks() == DOCUMENTS && inferences() == DOCUMENTS);
        int secondCalls = model().calls() - firstCalls;

        String report = String.join("\n",
                "| collection | documents | wall ms (POST /collect until all done) | model calls | records published |",
                "|---|---|---|---|---|",
                String.format("| first | %d | %.0f | %d | %s |", DOCUMENTS, firstMs, firstCalls,
                        summary(first).get("records")),
                String.format("| again, unchanged | %d | %.0f | %d | %d (records_unchanged %s) |", DOCUMENTS, secondMs,
                        secondCalls, DOCUMENTS - ((Number) summary(second).get("records_unchanged")).intValue(),
                        summary(second).get("records_unchanged")),
                "", String.format("first / again: %.1fx", firstMs / secondMs));
        System.out.println(report);
        CollectBenchmark.write("recollect", report);
        assertThat(secondCalls).isZero();
        assertThat(summary(second)).containsEntry("records_unchanged", DOCUMENTS);
    }
}
