package io.fineas.pipeline.usage;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Token accounting and budgets through the running gateway and RAG services on the embedded default (whose extractive
 * model reports the words it reads and writes as tokens): a topic that spent its budget has its analyses parked while
 * another topic's go on, and every one of them is analysed exactly once when the budget is lifted; a question's tokens
 * are counted against the asking key; GET /topics and GET /usage show it.
 */
class TokenBudgetTest extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "gateway,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.usage.flush-ms", "200");
        p.put("pipeline.usage.resume-check-ms", "500");
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + ids().suffix());
        p.put("pipeline.kafka.inference-topic", "inference-" + ids().suffix());
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
    }

    private void record(String topic, String id, String content) {
        Map<String, Object> r = new HashMap<>(Map.of("topic", topic, "segment", "news", "run_id", "run-" + id,
                "requested_by", "key_budget", "source", Map.of("kind", "http", "id", "http://x/" + id),
                "content_type", "text/plain", "content", content));
        publish(dataTopic(topic), id, toJson(r));
    }

    private int inferences(String topic) {
        return ((Number) get("/topics/" + topic + "/segments/news/inferences", "X-API-Key", ADMIN_KEY).json()
                .get("total")).intValue();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> tokensToday(String topic) {
        List<Map<String, Object>> topics = (List<Map<String, Object>>) get("/topics", "X-API-Key", ADMIN_KEY).json()
                .get("topics");
        return (Map<String, Object>) topics.stream().filter(t -> topic.equals(t.get("topic"))).findFirst()
                .orElseThrow().get("tokens_today");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSpentBudgetParksTheTopicsAnalysesUntilItIsLiftedAndEachIsAnalysedOnce() {
        String topic = uniqueName("budget");
        String other = uniqueName("free");
        for (String t : List.of(topic, other)) {
            createTopic(t);
            createSegment(t, "news");
        }
        Response set = put("/topics/" + topic + "/budget", Map.of("tokens_per_day", 1), "X-API-Key", ADMIN_KEY);
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.json()).containsEntry("token_budget_per_day", 1);
        assertThat((Map<String, Object>) set.json().get("tokens_today")).containsEntry("analysis", "running")
                .containsEntry("total_tokens", 0);

        record(topic, "d1", "Acme opened a plant in Lyon. It employs four hundred people.");
        await().atMost(Duration.ofSeconds(60)).until(() -> inferences(topic) == 1);
        Map<String, Object> inference = ((List<Map<String, Object>>) get("/topics/" + topic
                + "/segments/news/inferences", "X-API-Key", ADMIN_KEY).json().get("inferences")).get(0);
        Map<String, Object> usage = (Map<String, Object>) inference.get("usage");
        assertThat(((Number) usage.get("input_tokens")).intValue()).isPositive();
        // one call spent the budget of one token: the topic's analysis waits
        await().atMost(Duration.ofSeconds(10)).until(() -> "paused".equals(tokensToday(topic).get("analysis")));
        assertThat(((Number) tokensToday(topic).get("total_tokens")).longValue())
                .isEqualTo(((Number) usage.get("input_tokens")).longValue()
                        + ((Number) usage.get("output_tokens")).longValue());

        record(topic, "d2", "Acme closed its Turin office in May.");
        record(topic, "d3", "Acme hired a new chief financial officer, Ada Park.");
        record(other, "o1", "Globex shipped its first reactor in June.");
        // the other topic goes on while these two wait, parked
        await().atMost(Duration.ofSeconds(60)).until(() -> inferences(other) == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> ((Number) tokensToday(topic).get("paused_records"))
                .intValue() == 2);
        assertThat(inferences(topic)).isEqualTo(1);
        assertThat(metrics()).contains("pipeline_records_paused_total");
        // its questions wait too: 429 until the next UTC day (answered, and charged past the budget, before)
        Response asked = post("/chat", Map.of("question", "Where did Acme open a plant?", "topic", topic),
                "X-API-Key", ADMIN_KEY);
        assertThat(asked.status()).as(asked.body()).isEqualTo(429);
        assertThat(asked.json()).containsEntry("error", "budget_spent");
        assertThat(Long.parseLong(asked.header("Retry-After"))).isBetween(1L, 86_400L);
        assertThat(post("/chat", Map.of("question", "Who shipped a reactor?", "topic", other), "X-API-Key",
                ADMIN_KEY).status()).isEqualTo(200);

        Response lifted = put("/topics/" + topic + "/budget", "{\"tokens_per_day\":null}", "X-API-Key", ADMIN_KEY);
        assertThat(lifted.status()).as(lifted.body()).isEqualTo(200);
        assertThat(lifted.json()).doesNotContainKey("token_budget_per_day");
        await().atMost(Duration.ofSeconds(60)).until(() -> inferences(topic) == 3
                && ((Number) tokensToday(topic).get("paused_records")).intValue() == 0);

        // every record of the topic was paid for once, charged to the key that requested its run
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Map<String, Object>> lines = (List<Map<String, Object>>) get("/usage", "X-API-Key", ADMIN_KEY)
                    .json().get("usage");
            Map<String, Object> line = lines.stream().filter(l -> topic.equals(l.get("topic"))).findFirst()
                    .orElseThrow();
            assertThat(line).containsEntry("use", "analysis").containsEntry("key_id", "key_budget")
                    .containsEntry("segment", "news").containsEntry("calls", 3);
        });
        assertThat(tokensToday(topic)).containsEntry("analysis", "running");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aQuestionsTokensAreCountedAgainstTheAskingKeyAndShownOnlyToKeysThatMayReadTheTopic() {
        String topic = uniqueName("asked");
        String elsewhere = uniqueName("elsewhere");
        createTopic(topic);
        createTopic(elsewhere);
        createSegment(topic, "news");
        record(topic, "c1", "The Lyon plant of Acme employs four hundred people.");
        await().atMost(Duration.ofSeconds(60)).until(() -> inferences(topic) == 1);
        Response key = post("/keys", Map.of("name", "reader", "scopes", List.of("read:" + topic)), "X-API-Key",
                ADMIN_KEY);
        String reader = (String) key.json().get("api_key");
        String readerId = (String) key.json().get("id");

        Response answer = post("/chat", Map.of("question", "How many people work at the Lyon plant?", "topic",
                topic), "X-API-Key", reader);

        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        Map<String, Object> usage = (Map<String, Object>) answer.json().get("usage");
        assertThat(((Number) usage.get("input_tokens")).intValue()).isPositive();
        assertThat(((Number) usage.get("output_tokens")).intValue()).isPositive();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Map<String, Object>> lines = (List<Map<String, Object>>) get("/usage?days=1", "X-API-Key", reader)
                    .json().get("usage");
            assertThat(lines).anySatisfy(l -> assertThat(l).containsEntry("use", "chat")
                    .containsEntry("key_id", readerId).containsEntry("topic", topic)
                    .containsEntry("input_tokens", usage.get("input_tokens")));
        });
        assertThat(metrics()).containsPattern("pipeline_llm_tokens_total\\{[^}]*topic=\"" + topic + "\"[^}]*use=\"chat\"");
        // a key of another topic sees none of it
        Response other = post("/keys", Map.of("name", "other", "scopes", List.of("read:" + elsewhere)), "X-API-Key",
                ADMIN_KEY);
        assertThat(get("/usage", "X-API-Key", (String) other.json().get("api_key")).body()).doesNotContain(topic);
    }
}
