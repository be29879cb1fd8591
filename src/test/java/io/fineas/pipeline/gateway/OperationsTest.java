package io.fineas.pipeline.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.support.PipelineInfrastructure;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The console's operations API on the running gateway and the shared broker: the dead letters of every dead-letter
 * topic with their reasons, one replayed to its source topic exactly once, and the process's readiness with each
 * consumer group's lag.
 */
class OperationsTest extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "gateway";
    }

    private String llmDlq() {
        return "llm-" + ids().suffix() + ".dlq";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.kafka.llm-dlq-topic", llmDlq());
    }

    private void deadLetter(String dlq, String key, String value, String reason, String source) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", PipelineInfrastructure.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            ProducerRecord<String, String> r = new ProducerRecord<>(dlq, 0, key, value);
            r.headers().add("dlq-reason", reason.getBytes(StandardCharsets.UTF_8));
            if (source != null) {
                r.headers().add("dlq-source-topic", source.getBytes(StandardCharsets.UTF_8));
            }
            producer.send(r).get();
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aDeadLetterIsShownWithItsReasonAndReplayedToItsSourceOnce() throws Exception {
        String topic = uniqueName("ops");
        createTopic(topic);
        String record = toJson(Map.of("topic", topic, "segment", "news", "source", Map.of("kind", "http", "id",
                "http://x/too-long"), "content", "a record the model refused"));
        deadLetter(llmDlq(), "http://x/too-long", record, "400 context too long", dataTopic(topic));
        deadLetter(llmDlq(), "no-source", "{}", "malformed", null);

        Response listed = get("/dead-letters?limit=10", "X-API-Key", ADMIN_KEY);
        assertThat(listed.status()).as(listed.body()).isEqualTo(200);
        Map<String, Object> queue = ((List<Map<String, Object>>) listed.json().get("dead_letters")).stream()
                .filter(q -> llmDlq().equals(q.get("dlq"))).findFirst().orElseThrow();
        assertThat(queue).containsEntry("records", 2);
        List<Map<String, Object>> letters = (List<Map<String, Object>>) queue.get("letters");
        Map<String, Object> refused = letters.stream().filter(l -> "http://x/too-long".equals(l.get("key")))
                .findFirst().orElseThrow();
        assertThat(refused).containsEntry("reason", "400 context too long").containsEntry("source_topic",
                dataTopic(topic)).containsEntry("value", record).containsEntry("partition", 0)
                .doesNotContainKey("replayed_at");

        Map<String, Object> at = Map.of("partition", refused.get("partition"), "offset", refused.get("offset"));
        Response replayed = post("/dead-letters/" + llmDlq() + "/replay", at, "X-API-Key", ADMIN_KEY);
        assertThat(replayed.status()).as(replayed.body()).isEqualTo(200);
        assertThat(replayed.json()).containsEntry("source_topic", dataTopic(topic));
        // back on its source topic, key and value as they were
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(readAll(dataTopic(topic),
                Duration.ofMillis(300))).singleElement().satisfies(r -> {
                    assertThat(r.key()).isEqualTo("http://x/too-long");
                    assertThat(r.value()).isEqualTo(record);
                }));
        // once: the second press is refused, and the page says when it went
        Response again = post("/dead-letters/" + llmDlq() + "/replay", at, "X-API-Key", ADMIN_KEY);
        assertThat(again.status()).isEqualTo(409);
        assertThat((String) again.json().get("detail")).contains("replayed already at");
        assertThat(readAll(dataTopic(topic), Duration.ofMillis(300))).hasSize(1);
        List<Map<String, Object>> after = (List<Map<String, Object>>) ((List<Map<String, Object>>) get(
                "/dead-letters", "X-API-Key", ADMIN_KEY).json().get("dead_letters")).stream()
                .filter(q -> llmDlq().equals(q.get("dlq"))).findFirst().orElseThrow().get("letters");
        assertThat(after).filteredOn(l -> "http://x/too-long".equals(l.get("key"))).singleElement()
                .satisfies(l -> assertThat(l).containsKey("replayed_at"));

        // a record that names no source cannot go back
        Map<String, Object> orphan = letters.stream().filter(l -> "no-source".equals(l.get("key"))).findFirst()
                .orElseThrow();
        Response nowhere = post("/dead-letters/" + llmDlq() + "/replay", Map.of("partition", 0, "offset",
                orphan.get("offset")), "X-API-Key", ADMIN_KEY);
        assertThat(nowhere.status()).isEqualTo(409);
        assertThat((String) nowhere.json().get("detail")).contains("no source topic");

        // nor one whose header names a topic no stage takes replays on (the deletion events): 409, nothing published
        deadLetter(llmDlq(), "forged", "{\"topic\":\"" + topic + "\"}", "forged", "events-" + ids().suffix());
        Map<String, Object> forged = ((List<Map<String, Object>>) ((List<Map<String, Object>>) get("/dead-letters",
                "X-API-Key", ADMIN_KEY).json().get("dead_letters")).stream().filter(q -> llmDlq().equals(q.get("dlq")))
                .findFirst().orElseThrow().get("letters")).stream().filter(l -> "forged".equals(l.get("key")))
                .findFirst().orElseThrow();
        long eventsBefore = io.fineas.pipeline.support.KafkaRecords.endOffset(admin(), "events-" + ids().suffix());
        Response elsewhere = post("/dead-letters/" + llmDlq() + "/replay", Map.of("partition", 0, "offset",
                forged.get("offset")), "X-API-Key", ADMIN_KEY);
        assertThat(elsewhere.status()).as(elsewhere.body()).isEqualTo(409);
        assertThat((String) elsewhere.json().get("detail")).contains("only data topics and the alert topic");
        assertThat(io.fineas.pipeline.support.KafkaRecords.endOffset(admin(), "events-" + ids().suffix()))
                .isEqualTo(eventsBefore);
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStatusSaysWhatIsReadyAndHowFarEachConsumerGroupIsBehind() {
        // a collection request: the gateway's own group records runs from the alert topic
        String topic = uniqueName("lag");
        createTopic(topic);
        createSegment(topic, "news");
        assertThat(post("/collect", List.of(Map.of("topic", topic, "segment_targets", List.of("news"))), "X-API-Key",
                ADMIN_KEY).status()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Response status = get("/status", "X-API-Key", ADMIN_KEY);
            assertThat(status.status()).as(status.body()).isEqualTo(200);
            assertThat(status.json()).containsEntry("ready", true);
            assertThat((List<Map<String, Object>>) status.json().get("checks")).isNotEmpty()
                    .allSatisfy(c -> assertThat(c.get("state")).isIn("up", "unknown"));
            assertThat((List<Map<String, Object>>) status.json().get("consumer_lag")).anySatisfy(l -> assertThat(l)
                    .containsEntry("group", "gateway-runs").containsEntry("topic", alertTopic())
                    .containsEntry("lag", 0));
        });
    }
}
