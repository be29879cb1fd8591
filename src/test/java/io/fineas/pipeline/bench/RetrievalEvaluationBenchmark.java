package io.fineas.pipeline.bench;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped golden set (eval/newsroom: 100 questions over 300 invented news items, of four kinds) through the whole pipeline: the
 * items captured by the file processor of eval/, indexed, then POST /evaluations measures vector, keyword and hybrid
 * retrieval (recall@5, MRR) and the extractive model's answers on the same index in the same run.
 * Run with: mvn -B verify -Pbench -Dbench=RetrievalEvaluationBenchmark
 */
class RetrievalEvaluationBenchmark extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", "eval");
        p.put("pipeline.rag.eval-dir", "eval");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theShippedGoldenSetInEveryRetrievalMode() throws Exception {
        createTopic("evaluation");
        createSegment("evaluation", "newsroom");
        assertThat(post("/collect", List.of(Map.of("topic", "evaluation", "segment_targets", List.of("newsroom"))),
                "X-API-Key", ADMIN_KEY).status()).isEqualTo(202);
        // every item indexed (one chunk each)
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofSeconds(2)).until(() -> indexed() >= 300);

        Response run = post("/evaluations", Map.of("golden_set", "newsroom", "k", 5), "X-API-Key", ADMIN_KEY);
        assertThat(run.status()).as(run.body()).isEqualTo(200);
        Response first = post("/evaluations", Map.of("golden_set", "newsroom", "k", 1, "answers", false),
                "X-API-Key", ADMIN_KEY);
        assertThat(first.status()).as(first.body()).isEqualTo(200);

        StringBuilder table = new StringBuilder("| retrieval | questions | recall@1 | recall@5 | MRR | answers citing a "
                + "right source | answers holding the fact | missed at 5 | answers without the fact |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        List<Map<String, Object>> atOne = (List<Map<String, Object>>) first.json().get("results");
        List<Map<String, Object>> atFive = (List<Map<String, Object>>) run.json().get("results");
        for (int i = 0; i < atFive.size(); i++) {
            Map<String, Object> r = atFive.get(i);
            table.append(String.format("| %s | %s | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %s |%n", r.get("retrieval"),
                    r.get("questions"), atOne.get(i).get("recall_at_k"), r.get("recall_at_k"), r.get("mrr"),
                    r.get("answers_citing_a_right_source"), r.get("answers_holding_the_fact"), r.get("missed"),
                    r.get("answers_without_the_fact")));
        }
        // each kind of question on its own: recall@1, recall@5 and MRR per mode
        table.append("\n| kind | questions | retrieval | recall@1 | recall@5 | MRR |\n|---|---|---|---|---|---|\n");
        Map<String, Object> kinds = (Map<String, Object>) atFive.get(0).get("by_kind");
        for (String kind : kinds.keySet()) {
            for (int i = 0; i < atFive.size(); i++) {
                Map<String, Object> five = (Map<String, Object>) ((Map<String, Object>) atFive.get(i).get("by_kind"))
                        .get(kind);
                Map<String, Object> one = (Map<String, Object>) ((Map<String, Object>) atOne.get(i).get("by_kind"))
                        .get(kind);
                table.append(String.format("| %s | %s | %s | %.3f | %.3f | %.3f |%n", kind, five.get("questions"),
                        atFive.get(i).get("retrieval"), one.get("recall_at_k"), five.get("recall_at_k"),
                        five.get("mrr")));
            }
        }
        table.append("\nevaluation took ").append(run.json().get("duration_ms")).append(" ms (k=5, with answers), ")
                .append(first.json().get("duration_ms")).append(" ms (k=1, retrieval only)\n");
        System.out.println(table);
        CollectBenchmark.write("retrieval-evaluation", table.toString());
    }

    private long indexed() {
        return context.getRegistry().lookupByNameAndType("vectorStore", io.fineas.pipeline.rag.LuceneVectorStore.class)
                .count();
    }
}
