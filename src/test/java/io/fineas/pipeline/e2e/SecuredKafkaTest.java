package io.fineas.pipeline.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.fineas.pipeline.infra.EmbeddedKafkaBroker;
import io.fineas.pipeline.support.KafkaRecords;
import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import io.fineas.pipeline.support.TestCertificates;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The whole pipeline against a Kafka that needs TLS and SASL, as a managed one does: a broker of its own whose only
 * listener the application is told of is SASL_SSL with SCRAM-SHA-256 and a certificate the application trusts through
 * KAFKA_SSL_TRUSTSTORE_*. Every Kafka client must get through it: the topic admin (POST /topics), Camel's producers and
 * consumers (the alert, the capture, the data records, the RAG ingestion), the health checks' admin (GET /status, with
 * the consumer groups' lag) and the dead letter browser (GET /dead-letters).
 */
class SecuredKafkaTest extends PipelineTestSupport {

    private static final String USER = "pipeline";
    private static final String PASSWORD = "scram-secret-4f1e";
    private static final String STORE_PASSWORD = "store-secret-9a2c";

    private EmbeddedKafkaBroker broker;
    private Path dir;
    private SourceServer source;
    private Path processors;

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    private String topic() {
        return "secured-" + ids().suffix();
    }

    @Override
    protected void overrideProperties(Properties p) {
        start();
        p.put("kafka.brokers", broker.securedBootstrapServers());
        p.put("kafka.security-protocol", "SASL_SSL");
        p.put("kafka.sasl-mechanism", "SCRAM-SHA-256");
        p.put("kafka.sasl-jaas-config", jaas(USER, PASSWORD));
        p.put("kafka.ssl-truststore-location", dir.resolve("broker-trust.p12").toString());
        p.put("kafka.ssl-truststore-password", STORE_PASSWORD);
        p.put("kafka.ssl-truststore-type", "PKCS12");
        p.put("pipeline.processors.dir", processors.toString());
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + ids().suffix());
        p.put("pipeline.kafka.inference-topic", "inference-" + ids().suffix());
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
    }

    private static String jaas(String user, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user
                + "\" password=\"" + password + "\";";
    }

    /** The broker's key pair and certificate (keytool, as an operator makes them), a trust store, the broker. */
    private synchronized void start() {
        if (broker != null) {
            return;
        }
        try {
            dir = Files.createTempDirectory("secured-kafka");
            TestCertificates certificates = TestCertificates.issue(dir, "broker", STORE_PASSWORD);
            broker = new EmbeddedKafkaBroker("127.0.0.1", 0, dir.resolve("kafka"), new EmbeddedKafkaBroker
                    .SecuredListener(certificates.keystore(), STORE_PASSWORD, USER, PASSWORD)).start();
            source = new SourceServer();
            source.document("alpha", "Helium prices rose after two plants in Qatar stopped for maintenance.");
            source.document("beta", "Copper stocks in Shanghai warehouses fell to a ten-year low in November.");
            processors = Files.createTempDirectory("secured-processors");
            Files.writeString(processors.resolve("metals.yaml"), "topic: " + topic() + "\nsegment: metals\n"
                    + "data_list: metals.data.json\nsource:\n  kind: http\n  url: \"" + source.baseUrl()
                    + "/doc/{name}\"\n  allow_private_network: true\n");
            Files.writeString(processors.resolve("metals.data.json"), "[{\"name\": \"alpha\"}, {\"name\": \"beta\"}]");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    void stopBroker() {
        if (context != null) {
            context.stop();
        }
        if (source != null) {
            source.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyKafkaClientGetsThroughTlsAndScram() {
        // the listener does check: a wrong password is refused
        Properties wrong = new Properties();
        wrong.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.securedBootstrapServers());
        wrong.put("security.protocol", "SASL_SSL");
        wrong.put("sasl.mechanism", "SCRAM-SHA-256");
        wrong.put("sasl.jaas.config", jaas(USER, "not-the-password"));
        wrong.put("ssl.truststore.location", dir.resolve("broker-trust.p12").toString());
        wrong.put("ssl.truststore.password", STORE_PASSWORD);
        wrong.put("ssl.truststore.type", "PKCS12");
        try (Admin admin = Admin.create(wrong)) {
            assertThatThrownBy(() -> admin.listTopics().names().get()).hasCauseInstanceOf(
                    SaslAuthenticationException.class);
        }

        // topic admin, Camel's producer and consumers: the run captures both documents onto the data topic
        createTopic(topic());
        createSegment(topic(), "metals");
        String run = collectRun(topic(), "metals");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(get("/runs/" + run, "X-API-Key",
                ADMIN_KEY).json()).containsEntry("status", "reported"));
        // read back through the broker's own listener: what the pipeline wrote through SASL_SSL is there
        String dataTopic = "data" + ids().suffix() + "-" + topic();
        assertThat(KafkaRecords.readAll(broker.bootstrapServers(), dataTopic, Duration.ofSeconds(1)))
                .hasSize(2);
        // the RAG ingestion's consumers read them: both are searchable
        await().atMost(Duration.ofSeconds(60)).until(() -> ((List<?>) post("/search", Map.of("query", "copper",
                "topic", topic()), "X-API-Key", ADMIN_KEY).json().get("results")).size() == 2);

        // the health checks' admin client: ready, with the consumer groups' lag read from the secured broker
        Response status = get("/status", "X-API-Key", ADMIN_KEY);
        assertThat(status.json()).containsEntry("ready", true);
        assertThat((List<?>) status.json().get("consumer_lag")).isNotEmpty();
        // the dead letter browser's consumer
        assertThat(get("/dead-letters?limit=5", "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
    }
}
