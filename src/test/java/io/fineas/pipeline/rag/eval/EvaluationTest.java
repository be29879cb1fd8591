package io.fineas.pipeline.rag.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.fineas.pipeline.messages.ChatReply;
import io.fineas.pipeline.rag.SearchHit;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A golden set measured through the whole pipeline: a file processor captures a small fixed corpus, the RAG role
 * indexes it, and POST /evaluations measures every retrieval mode and the answers against it. The set is built so the
 * figures are known: three questions each answered by one item of very different subjects, and a fourth whose source
 * was never captured (so nothing can find it: 3 of 4 in every mode).
 */
class EvaluationTest extends PipelineTestSupport {

    private Path processors;
    private Path golden;

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    private String topic() {
        return "eval-" + ids().suffix();
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folders()[0].toString());
        p.put("pipeline.rag.eval-dir", folders()[1].toString());
    }

    private Path[] folders() {
        if (processors == null) {
            try {
                processors = Files.createTempDirectory("eval-processors");
                Files.createDirectories(processors.resolve("small"));
                write(processors.resolve("small/comet.txt"), "Comet Halvard-9 passes Earth\n\nThe comet Halvard-9 "
                        + "will pass closest to Earth on 14 March, visible before dawn from the southern hemisphere.");
                write(processors.resolve("small/recipe.txt"), "Sorrel soup recipe\n\nCook the sorrel soup for "
                        + "twelve minutes with two leeks and a spoon of crème fraîche, then blend it smooth.");
                write(processors.resolve("small/match.txt"), "Kelmora United wins the cup\n\nKelmora United beat "
                        + "Ostravik 3-1 in the cup final after two late goals by their captain Ivo Tamm.");
                write(processors.resolve("small/tax.txt"), "Valdoria lowers its VAT\n\nValdoria cut its value added "
                        + "tax on books to four percent from the first of July.");
                write(processors.resolve("small.data.json"), "[{\"path\": \"small\"}]");
                write(processors.resolve("small-set.yaml"), "topic: " + topic() + "\nsegment: news\n"
                        + "data_list: small.data.json\nsource:\n  kind: file\n  root: .\n");
                golden = Files.createTempDirectory("eval-sets");
                Files.createDirectories(golden.resolve("small"));
                write(golden.resolve("small/golden.json"), toJson(Map.of("name", "small", "topic", topic(),
                        "segment", "news", "questions", List.of(
                                Map.of("id", "q1", "kind", "paraphrase", "question",
                                        "When does Halvard-9 come nearest to our planet?",
                                        "sources", List.of("small/comet.txt"), "fact", "14 March"),
                                Map.of("id", "q2", "kind", "paraphrase", "question",
                                        "How long should the sorrel soup simmer?",
                                        "sources", List.of("small/recipe.txt"), "fact", "twelve minutes"),
                                Map.of("id", "q3", "kind", "paraphrase", "question",
                                        "Who scored for Kelmora United in the final?",
                                        "sources", List.of("small/match.txt"), "fact", "Ivo Tamm"),
                                Map.of("id", "q4", "kind", "uncaptured", "question",
                                        "What did the Brisval central bank decide?",
                                        "sources", List.of("small/never-captured.txt"), "fact", "rates")))));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new Path[] {processors, golden};
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aGoldenSetIsMeasuredInEveryRetrievalModeKeptAndExposedAsGauges() {
        createTopic(topic());
        createSegment(topic(), "news");
        String runId = collectRun(topic(), "news");
        await().atMost(Duration.ofSeconds(90)).until(() -> ((List<?>) post("/search", Map.of("query", "anything",
                "topic", topic(), "k", 10), "X-API-Key", ADMIN_KEY).json().get("results")).size() == 4);

        lineageOfACitedChunkGoesBackToItsRun(runId);

        Response run = post("/evaluations", Map.of("golden_set", "small", "k", 3), "X-API-Key", ADMIN_KEY);

        assertThat(run.status()).as(run.body()).isEqualTo(200);
        Map<String, Object> report = run.json();
        assertThat(report).containsEntry("golden_set", "small").containsEntry("topic", topic())
                .containsEntry("model", "extractive-minilm");
        List<Map<String, Object>> results = (List<Map<String, Object>>) report.get("results");
        assertThat(results).extracting(r -> r.get("retrieval")).containsExactly("vector", "keyword", "hybrid");
        assertThat(results).allSatisfy(r -> {
            assertThat(r).containsEntry("k", 3).containsEntry("questions", 4).containsEntry("recall_at_k", 0.75)
                    .containsEntry("mrr", 0.75).containsEntry("missed", List.of("q4"));
            // the three answerable questions are answered from their item and hold its fact; the fourth is not
            assertThat(r).containsEntry("answers_citing_a_right_source", 0.75)
                    .containsEntry("answers_holding_the_fact", 0.75)
                    .containsEntry("answers_without_the_fact", List.of("q4"));
            // and per kind of question
            assertThat(r.get("by_kind")).isEqualTo(Map.of(
                    "paraphrase", Map.of("questions", 3, "recall_at_k", 1.0, "mrr", 1.0),
                    "uncaptured", Map.of("questions", 1, "recall_at_k", 0.0, "mrr", 0.0)));
        });

        // kept: GET /evaluations lists it; exposed: the gauges of each mode
        List<Map<String, Object>> kept = (List<Map<String, Object>>) get("/evaluations", "X-API-Key", ADMIN_KEY)
                .json().get("evaluations");
        assertThat(kept).anySatisfy(r -> assertThat(r).containsEntry("golden_set", "small")
                .containsEntry("started_at", report.get("started_at")));
        assertThat(metrics()).contains("pipeline_eval_recall{golden_set=\"small\",k=\"3\",retrieval=\"hybrid\"} 0.75")
                .contains("pipeline_eval_mrr{golden_set=\"small\",k=\"3\",retrieval=\"keyword\"} 0.75")
                .contains("pipeline_eval_answers_holding_fact{golden_set=\"small\",k=\"3\",retrieval=\"vector\"} 0.75");

        // the command, as a quality gate: passes at a minimum the figures meet, fails (1) below, cannot run (2)
        String url = "http://127.0.0.1:" + ids().port();
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        java.io.PrintStream out = new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8);
        // the service and the key from the caller's environment (EVAL_URL, PIPELINE_ADMIN_KEY)
        assertThat(EvaluateCommand.run(new String[] {"evaluate", "small", "--k", "3", "--no-answers", "--min-recall",
            "0.75", "--min-mrr", "0.7"}, Map.of("EVAL_URL", url, "PIPELINE_ADMIN_KEY", ADMIN_KEY), out)).isZero();
        assertThat(printed.toString()).contains("| hybrid | 4 | 0.750 | 0.750 | - | - |")
                .contains("quality gate passed (hybrid)");
        printed.reset();
        assertThat(EvaluateCommand.run(new String[] {"evaluate", "small", "--url", url, "--key", ADMIN_KEY, "--k", "3",
            "--retrieval", "keyword", "--min-recall", "0.8", "--min-answers-holding-fact", "0.7"}, Map.of(), out)).isEqualTo(1);
        assertThat(printed.toString()).contains("quality gate failed (keyword): recall_at_k 0.750 < 0.8")
                .doesNotContain("answers_holding_the_fact");
        printed.reset();
        assertThat(EvaluateCommand.run(new String[] {"evaluate", "absent", "--url", url, "--key", ADMIN_KEY}, Map.of(),
                out)).isEqualTo(2);
        assertThat(printed.toString()).contains("answered 404");
        assertThat(EvaluateCommand.run(new String[] {"evaluate", "small", "--url", url, "--key", ADMIN_KEY, "--k"},
                Map.of(), out)).isEqualTo(2);

        assertThat(post("/evaluations", Map.of("golden_set", "absent"), "X-API-Key", ADMIN_KEY).status())
                .isEqualTo(404);
        assertThat(post("/evaluations", Map.of("golden_set", "small", "k", 0), "X-API-Key", ADMIN_KEY).status())
                .isEqualTo(400);
    }

    /** A chat citation's chunk, traced: chunk, captured record, processor, run (issue 15, lineage). */
    @SuppressWarnings("unchecked")
    private void lineageOfACitedChunkGoesBackToItsRun(String runId) {
        Map<String, Object> chat = post("/chat", Map.of("question", "When does Halvard-9 come nearest to our planet?",
                "topic", topic()), "X-API-Key", ADMIN_KEY).json();
        Map<String, Object> cited = ((List<Map<String, Object>>) chat.get("sources")).get(0);
        assertThat(cited).containsEntry("source", "small/comet.txt").containsEntry("run_id", runId);

        Response lineage = get("/lineage/" + encoded(cited.get("chunk_id")), "X-API-Key", ADMIN_KEY);

        assertThat(lineage.status()).as(lineage.body()).isEqualTo(200);
        Map<String, Object> trace = lineage.json();
        assertThat((Map<String, Object>) trace.get("chunk")).containsEntry("chunk_id", cited.get("chunk_id"))
                .containsEntry("topic", topic()).containsEntry("segment", "news").containsEntry("chunk_index", 0);
        assertThat((String) ((Map<String, Object>) trace.get("chunk")).get("text")).contains("14 March");
        assertThat((Map<String, Object>) trace.get("record")).containsEntry("source", "small/comet.txt")
                .containsEntry("source_kind", "file").containsEntry("parameters", Map.of("path", "small"))
                .containsEntry("captured_at", cited.get("captured_at"));
        assertThat((Map<String, Object>) trace.get("processor")).containsEntry("id", "small-set")
                .containsEntry("file", "small-set.yaml").containsEntry("source", "file");
        Map<String, Object> run = (Map<String, Object>) trace.get("run");
        assertThat(run).containsEntry("run_id", runId).containsEntry("topic", topic()).containsKey("requested_at");
        // who asked: the id of the key (never the key)
        assertThat((String) run.get("requested_by")).startsWith("admin-").doesNotContain(ADMIN_KEY);
        assertThat((Map<String, Object>) ((Map<String, Object>) run.get("processors")).get("small-set"))
                .containsEntry("status", "succeeded").containsEntry("records", 4);

        // scoped like the topic: a key of another topic finds no such chunk; an unknown id is a 404 too
        String other = uniqueName("other");
        createTopic(other);
        String readOther = (String) post("/keys", Map.of("name", "other", "scopes", List.of("read:" + other)),
                "X-API-Key", ADMIN_KEY).json().get("api_key");
        assertThat(get("/lineage/" + encoded(cited.get("chunk_id")), "X-API-Key", readOther).status()).isEqualTo(404);
        assertThat(get("/lineage/nothing-here", "X-API-Key", ADMIN_KEY).status()).isEqualTo(404);
        assertThat(get("/lineage/" + encoded(cited.get("chunk_id"))).status()).isEqualTo(401);
    }

    /** A chunk id in a path: its '#' (before the chunk's index) would start the URL's fragment. */
    private static String encoded(Object chunkId) {
        return java.net.URLEncoder.encode(String.valueOf(chunkId), java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void theRankOfTheFirstRightSourceAndTheCitationsOfAnAnswer() {
        List<SearchHit> hits = List.of(new SearchHit("c1", 0.9, "x", Map.of("source", "a")),
                new SearchHit("c2", 0.8, "y", Map.of("source", "b")));
        assertThat(Evaluation.rankOfFirstRight(hits, Set.of("b"))).isEqualTo(2);
        assertThat(Evaluation.rankOfFirstRight(hits, Set.of("z"))).isZero();
        List<ChatReply.Source> sources = List.of(
                new ChatReply.Source(1, "t", "s", "a", null, "x", "c1", "r", null, 0.9),
                new ChatReply.Source(2, "t", "s", "b", null, "y", "c2", "r", null, 0.8));
        assertThat(Evaluation.citesARightSource(ChatReply.answered("c", "It did [2].", sources, "m", 1, null), Set.of("b")))
                .isTrue();
        assertThat(Evaluation.citesARightSource(ChatReply.answered("c", "It did [1] [3].", sources, "m", 1, null),
                Set.of("b"))).isFalse();
        assertThat(Evaluation.citesARightSource(ChatReply.answered("c", "No citation.", sources, "m", 1, null),
                Set.of("a"))).isFalse();
    }

    @Test
    void aRightSourceWrittenAsAPathMatchesThePageCapturedFromWhereverItIsServed() {
        Set<String> right = Set.of("python/library/heapq.html", "postgresql/limits.html");
        assertThat(Evaluation.isRight(right, "http://127.0.0.1:8765/python/library%2Fheapq.html")).isTrue();
        assertThat(Evaluation.isRight(right, "https://docs.example.org/manuals/postgresql/limits.html")).isTrue();
        assertThat(Evaluation.isRight(right, "http://127.0.0.1:8765/python/library/heapq.html.bak")).isFalse();
        assertThat(Evaluation.isRight(right, "http://127.0.0.1:8765/other-postgresql/limits.html")).isFalse();
        assertThat(Evaluation.isRight(right, "postgresql/limits.html")).as("the same id").isTrue();
        assertThat(Evaluation.isRight(Set.of("newsroom/corpus/item-001.txt"), "newsroom/corpus/item-002.txt")).isFalse();
    }
}
