package io.fineas.pipeline.errors;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.fineas.pipeline.support.PipelineInfrastructure;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.DefaultKafkaClientFactory;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PropertyBindingSupport;
import org.apache.camel.util.StringHelper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped Kafka consumer settings (camel.component.kafka.* of application.properties, applied to camel-kafka as
 * Camel Main applies them) when a commit fails while the consumer keeps its partitions (a commit that times out while
 * the group coordinator moves, in a broker's rolling restart): the error escapes camel-kafka's record loop. No record
 * may be skipped. Under camel-kafka's default pollOnError, ERROR_HANDLER, it seeks one past the current position and
 * the next record was never read (measured: this test fails with it); RECONNECT makes a new consumer, which resumes at
 * the committed offset.
 */
class KafkaCommitFailureTest {

    private static final int RECORDS = 6;

    @Test
    void aCommitThatTimesOutSkipsNoRecord() throws Exception {
        PipelineInfrastructure.start();
        String topic = "commit-failure-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", PipelineInfrastructure.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger failedCommits = new AtomicInteger();
        CamelContext camel = new DefaultCamelContext();
        KafkaComponent kafka = new KafkaComponent();
        PropertyBindingSupport.build().withCamelContext(camel).withTarget(kafka)
                .withProperties(shippedKafkaSettings()).withIgnoreCase(true).bind();
        kafka.getConfiguration().setBrokers(PipelineInfrastructure.bootstrapServers());
        // the first commit times out, as while the group coordinator moves to another broker
        kafka.setKafkaClientFactory(new DefaultKafkaClientFactory() {
            @Override
            public Consumer getConsumer(Properties props) {
                Consumer<?, ?> real = super.getConsumer(props);
                return (Consumer<?, ?>) Proxy.newProxyInstance(Consumer.class.getClassLoader(),
                        new Class<?>[] {Consumer.class}, (proxy, method, args) -> {
                            if (method.getName().equals("commitSync") && failedCommits.get() == 0) {
                                failedCommits.incrementAndGet();
                                throw new TimeoutException("the offset commit timed out (the coordinator moved)");
                            }
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        });
            }
        });
        camel.addComponent("kafka", kafka);
        // a lambda route builder: Camel Main's route discovery in the other tests' applications does not find it
        RouteBuilder.addRoutes(camel, routes -> routes.from("kafka:" + topic + "?groupId=" + topic
                + "&maxPollRecords=2&pollTimeoutMs=200")
                .process(e -> seen.add(e.getMessage().getBody(String.class))));
        camel.start();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                PipelineInfrastructure.bootstrapServers()), new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, "k", "r" + i)).get();
            }
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(seen).hasSize(RECORDS));
        } finally {
            camel.stop();
        }
        assertThat(failedCommits).hasValue(1);
    }

    /** camel.component.kafka.* of the shipped application.properties, as camel-kafka's options. */
    private static Map<String, Object> shippedKafkaSettings() throws Exception {
        Properties shipped = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            shipped.load(in);
        }
        Map<String, Object> out = new java.util.HashMap<>();
        for (String name : shipped.stringPropertyNames()) {
            String value = shipped.getProperty(name).strip();
            if (name.startsWith("camel.component.kafka.") && !value.contains("{{")) {
                out.put(StringHelper.dashToCamelCase(name.substring("camel.component.kafka.".length())), value);
            }
        }
        assertThat(out).containsKeys("pollOnError", "allowManualCommit", "breakOnFirstError",
                "kafkaManualCommitFactory");
        return out;
    }
}
