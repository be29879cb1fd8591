package io.fineas.pipeline.crash;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.support.OpenAiStandIn;
import io.fineas.pipeline.support.PipelineProcess;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A stop (SIGTERM) while the model answers slowly: the packaged jar finishes the analyses in flight and commits them
 * before it exits, so the restart calls the model for none of them again. With Camel's 15 s shutdown timeout, shorter
 * than a slow model's answer, the calls were cut, their records polled again after the restart and paid twice.
 */
class ShutdownDrainIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOPIC = "drain";
    private static final int RECORDS = 4;
    /** Longer than the 15 s Camel gave in-flight work before; well within the deployments' 60 s grace. */
    private static final long MODEL_MILLIS = 20_000;

    @Test
    void aStopInTheMiddleOfSlowAnalysesFinishesThemAndTheRestartPaysForNoneAgain(@TempDir Path work)
            throws Exception {
        try (OpenAiStandIn model = new OpenAiStandIn(MODEL_MILLIS)) {
            Map<String, String> env = new java.util.HashMap<>(model.env());
            env.put("PIPELINE_ROLES", "gateway,rag");
            env.put("KAFKA_SESSION_TIMEOUT_MS", "8000");
            PipelineProcess pipeline = new PipelineProcess(work.resolve("data"), Path.of("target", "drain-test"), env);
            try (pipeline) {
                pipeline.start();
                assertThat(pipeline.call("POST", "/topics", Map.of("topic", TOPIC, "topic_action", "create")))
                        .containsEntry("status", 201);
                assertThat(pipeline.call("POST", "/segments", Map.of("topic", TOPIC, "segment", "news",
                        "segment_action", "create"))).containsEntry("status", 201);
                publish(pipeline.kafka());
                // every record's model call under way (LLM_PARALLEL 4), none answered yet
                await().atMost(Duration.ofSeconds(60)).until(() -> model.calls() == RECORDS);
                long stopAt = System.nanoTime();

                pipeline.stop();

                long stoppedMillis = (System.nanoTime() - stopAt) / 1_000_000;
                System.out.printf("stopped %d ms after SIGTERM with %d model calls in flight%n", stoppedMillis,
                        RECORDS);
                assertThat(pipeline.isAlive()).isFalse();
                assertThat(stoppedMillis).as("within the grace period").isLessThan(60_000);
                assertThat(model.completions()).as("the calls in flight were answered").isEqualTo(RECORDS);

                pipeline.start();
                try (MongoClient mongo = MongoClients.create(pipeline.mongoUri())) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> mongo.getDatabase("fineas").getCollection(TOPIC)
                            .countDocuments(Filters.eq("kind", "inference")) == RECORDS);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.lag("llm-analysis", "data-" + TOPIC) == 0);
                await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
                        .until(() -> model.calls() == RECORDS);
                for (int i = 0; i < RECORDS; i++) {
                    assertThat(model.callsFor("DOC-" + i)).as("calls for record " + i).isEqualTo(1);
                }
            }
        }
    }

    private static void publish(String bootstrap) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>("data-" + TOPIC, "s" + i, JSON.writeValueAsString(Map.of(
                        "topic", TOPIC, "segment", "news", "run_id", "r1", "source", Map.of("kind", "http", "id",
                                "http://x/drain-" + i), "content_type", "text/plain", "content", "DOC-" + i
                                + " says the harbour reopened after the storm.")))).get();
            }
        }
    }
}
