package io.fineas.pipeline.llm;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import io.fineas.pipeline.support.OpenAiStandIn;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An outage of the model provider pauses the analysis instead of draining it into the dead-letter topic: an
 * OpenAI-compatible stand-in answers 429 with Retry-After, then 500 for eight seconds, then answers again; every record
 * is analysed exactly once and none reaches llm.dlq.
 */
class LlmOutageTest extends PipelineTestSupport {

    private static final int RECORDS = 20;
    private OpenAiStandIn model;
    private volatile long outageEnds = Long.MAX_VALUE;

    private OpenAiStandIn model() {
        if (model == null) {
            model = new OpenAiStandIn(0);
        }
        return model;
    }

    @Override
    protected String roles() {
        return "gateway,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        model().configure(p, ids().suffix());
        p.put("pipeline.llm.retry-delay-ms", "50");
        p.put("pipeline.llm.open-state-ms", "1000");
        p.put("pipeline.llm.max-retry-delay-ms", "2000");
    }

    /** The records of a topic on this class's llm.dlq (the other tests' dead letters left aside). */
    private java.util.List<String> deadLettered(String topic) {
        return readAll("llm-" + ids().suffix() + ".dlq", Duration.ofMillis(300)).stream()
                .map(org.apache.kafka.clients.consumer.ConsumerRecord::value)
                .filter(v -> v.contains("\"" + topic + "\"")).toList();
    }

    @AfterAll
    void stopModel() {
        model.close();
    }

    @Test
    void anOutagePausesTheAnalysisAndEveryRecordIsAnalysedOnceWhenTheProviderIsBack() {
        String topic = uniqueName("outage");
        createTopic(topic);
        createSegment(topic, "news");
        outageEnds = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        model().failWith(n -> n <= 2 ? Integer.valueOf(429) : System.nanoTime() < outageEnds ? Integer.valueOf(500)
                : null);
        IntStream.range(0, RECORDS).forEach(i -> publish(dataTopic(topic), "s" + i, toJson(Map.of("topic", topic,
                "segment", "news", "run_id", "r1", "source", Map.of("kind", "http", "id", "http://x/news-" + i),
                "content_type", "text/plain", "content", "DOC-" + i + " says the port reopened after the strike."))));

        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(((Number) get("/topics/" + topic
                + "/segments/news/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue())
                .isEqualTo(RECORDS));
        assertThat(System.nanoTime()).as("the records waited for the provider").isGreaterThan(outageEnds);
        assertThat(deadLettered(topic)).isEmpty();
        assertThat(model().completions()).isEqualTo(RECORDS);
        IntStream.range(0, RECORDS).forEach(i -> assertThat(model().callsFor("DOC-" + i)).isPositive());
        // paused while the circuit was open: a probe every second, not a loop of calls
        assertThat(model().calls() - RECORDS).as("failed calls").isLessThan(40);
    }

    /**
     * The provider out of reach for longer than a record's tries (connection refused, as while an Ollama or vLLM server
     * restarts), then refusing every call (401, an expired key): the records wait, and each is analysed once when the
     * provider answers again. Before, each was dead-lettered on its first refused call.
     */
    @Test
    void aProviderOutOfReachOrRefusingEveryoneMakesTheRecordsWaitNotDeadLetter() {
        String topic = uniqueName("unreachable");
        createTopic(topic);
        createSegment(topic, "news");
        int before = model().completions();
        model().down();
        IntStream.range(0, 3).forEach(i -> publish(dataTopic(topic), "u" + i, toJson(Map.of("topic", topic,
                "segment", "news", "run_id", "r2", "source", Map.of("kind", "http", "id", "http://x/unreach-" + i),
                "content_type", "text/plain", "content", "DOC-10" + i + " says the mill restarted on Monday."))));
        // several open-state periods pass with the provider refusing connections, then answering 401 to everyone
        await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8)).pollInterval(Duration.ofSeconds(1))
                .until(() -> deadLettered(topic).isEmpty());
        long waitedUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        model().failWith(n -> System.nanoTime() < waitedUntil ? Integer.valueOf(401) : null);
        model().up();

        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(((Number) get("/topics/" + topic
                + "/segments/news/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue()).isEqualTo(3));
        assertThat(System.nanoTime()).as("the records waited out the 401s").isGreaterThan(waitedUntil);
        assertThat(deadLettered(topic)).isEmpty();
        assertThat(model().completions() - before).isEqualTo(3);
        IntStream.range(0, 3).forEach(i -> assertThat(model().callsFor("DOC-10" + i)).isPositive());
    }

    /**
     * A record the analysis cannot use (it names another topic than its data topic's) ahead of good ones in the same
     * partition, so in one batch: it goes to llm.dlq with its reason and every good record after it is analysed. Before,
     * the batch's split stopped at the dead-lettered record (stopOnException stops at a handled failure too): only the
     * records already started were analysed (8 of 20 here), the others never, and the consumer polled on past them.
     */
    @Test
    void aRecordThatCannotBeAnalysedIsDeadLetteredAndTheRestOfItsBatchIsAnalysed() {
        String topic = uniqueName("hostile");
        createTopic(topic);
        createSegment(topic, "news");
        int before = model().completions();
        // one key, one produce request: one partition, in this order, one batch
        java.util.List<String> records = new java.util.ArrayList<>();
        records.add(toJson(Map.of("topic", "elsewhere", "segment", "news", "run_id", "r3",
                "source", Map.of("kind", "http", "id", "http://x/forged"), "content_type", "text/plain",
                "content", "Planted in another topic's data.")));
        IntStream.range(0, 20).forEach(i -> records.add(toJson(Map.of("topic", topic, "segment", "news", "run_id", "r3",
                "source", Map.of("kind", "http", "id", "http://x/after-" + i), "content_type", "text/plain",
                "content", "DOC-20" + i + " says the bridge reopened."))));
        publishTogether(dataTopic(topic), "same", records);

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(((Number) get("/topics/" + topic
                + "/segments/news/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue()).isEqualTo(20));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(readAll("llm-" + ids().suffix()
                + ".dlq", Duration.ofMillis(300))).anySatisfy(r -> {
                    assertThat(r.value()).contains("Planted in another topic's data.");
                    assertThat(new String(r.headers().lastHeader("dlq-reason").value(),
                            java.nio.charset.StandardCharsets.UTF_8)).contains("names topic 'elsewhere'");
                }));
        assertThat(model().completions() - before).isEqualTo(20);
    }
}
