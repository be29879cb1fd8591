package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.fineas.pipeline.Application;
import io.fineas.pipeline.PipelineRoles;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Boots the real application (Camel Main, the YAML routes of the chosen roles, the real configuration class) against
 * the JVM's in-process Kafka broker and Mongo wire server, on its own HTTP port, Mongo databases and alert topic.
 */
@ExtendWith(PipelineInfrastructure.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PipelineTestSupport extends CamelMainTestSupport {

    /** A configured admin key must be strong (ApiKeys.requireStrong): 64 hex characters. */
    protected static final String ADMIN_KEY = "5e0c1f9a7b2d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e1f";
    protected static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger COUNTER = new AtomicInteger();

    // assigned lazily, without an initializer: CamelTestSupport's constructor already asks for the properties
    private Ids ids;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MongoClient mongo;
    private Admin admin;

    /** What is this test class's own: names on the shared broker and Mongo server, and its HTTP port. */
    protected record Ids(String suffix, String alertTopic, String dataDatabase, String systemDatabase, int port,
            int managementPort) {
    }

    protected Ids ids() {
        if (ids == null) {
            String suffix = COUNTER.incrementAndGet() + UUID.randomUUID().toString().substring(0, 6);
            ids = new Ids(suffix, "alert-" + suffix, "data_" + suffix, "system_" + suffix, freePort(),
                    freePort());
        }
        return ids;
    }

    private Path dataDir;

    /** This test class's data directory (the embedded vector index lives under it). */
    protected Path dataDir() {
        if (dataDir == null) {
            try {
                dataDir = java.nio.file.Files.createTempDirectory("pipeline-data");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dataDir;
    }

    /** The Kafka data topic of a topic in this test class. */
    protected String dataTopic(String topic) {
        return "data" + ids().suffix() + "-" + topic;
    }

    protected String alertTopic() {
        return ids().alertTopic();
    }

    protected String dataDatabase() {
        return ids().dataDatabase();
    }

    /** The roles whose routes this test boots. */
    protected String roles() {
        return "gateway";
    }

    /** Extra properties of a test class. */
    protected void overrideProperties(Properties properties) {
    }

    @Override
    protected Class<?> getMainClass() {
        return Application.class;
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern(PipelineRoles.parse(roles()).routesIncludePattern());
    }

    @Override
    protected Properties useOverridePropertiesWithPropertiesComponent() {
        Properties p = new Properties();
        p.put("pipeline.roles", roles());
        p.put("pipeline.embedded.kafka", "false");
        p.put("pipeline.embedded.mongodb", "false");
        p.put("kafka.brokers", PipelineInfrastructure.bootstrapServers());
        p.put("mongodb.uri", PipelineInfrastructure.mongoUri());
        p.put("mongodb.database", ids().dataDatabase());
        p.put("mongodb.system-database", ids().systemDatabase());
        p.put("pipeline.kafka.alert-topic", ids().alertTopic());
        p.put("pipeline.kafka.run-status-topic", "run-status-" + ids().suffix());
        p.put("pipeline.kafka.capture-dlq-topic", "capture-" + ids().suffix() + ".dlq");
        // data topics of this class only: the RAG consumers subscribe by pattern and must not read other classes' topics
        p.put("pipeline.kafka.data-topic-prefix", dataTopic(""));
        p.put("pipeline.kafka.ingest-dlq-topic", "ingest-" + ids().suffix() + ".dlq");
        p.put("pipeline.kafka.llm-dlq-topic", "llm-" + ids().suffix() + ".dlq");
        p.put("pipeline.kafka.events-topic", "events-" + ids().suffix());
        p.put("pipeline.kafka.node-tasks-topic", "node-tasks-" + ids().suffix());
        p.put("pipeline.kafka.node-submissions-topic", "node-submissions-" + ids().suffix());
        p.put("pipeline.kafka.node-disputes-topic", "node-disputes-" + ids().suffix());
        p.put("pipeline.network.agreement-group", "network-agreement-" + ids().suffix());
        p.put("pipeline.network.gateway-group", "gateway-node-tasks-" + ids().suffix());
        p.put("pipeline.rag.ingest-group", "rag-ingest-" + ids().suffix());
        p.put("pipeline.data-dir", dataDir().toString());
        p.put("pipeline.kafka.partitions", "1");
        // an application of a test class stops at the end of it without waiting on work a test left waiting
        p.put("camel.main.shutdown-timeout", "15");
        // the free-space mark is DiskFullIT's and DiskSpaceTest's: other tests run on whatever disk the machine has
        p.put("pipeline.disk.min-free-mb", "0");
        p.put("pipeline.gateway.admin-key", ADMIN_KEY);
        // this class's own buckets (Redis outlives a test run), and budgets no ordinary test reaches
        p.put("pipeline.gateway.rate-limit.prefix", "test-ratelimit:" + ids().suffix());
        for (String endpoint : List.of("collect", "chat", "search", "keys", "reports", "nodes", "join")) {
            p.put("pipeline.gateway.rate." + endpoint + ".per-minute", "100000");
            p.put("pipeline.gateway.rate." + endpoint + ".burst", "10000");
        }
        p.put("camel.server.port", Integer.toString(ids().port()));
        p.put("camel.server.host", "127.0.0.1");
        p.put("camel.management.port", Integer.toString(ids().managementPort()));
        p.put("camel.management.host", "127.0.0.1");
        overrideProperties(p);
        return p;
    }

    @AfterAll
    void closeClients() {
        // camel-test's per-class context is otherwise stopped only when the JVM's tests end: stop it with its class,
        // so its consumers do not go on reading the next classes' topics
        if (context != null) {
            context.stop();
        }
        if (mongo != null) {
            mongo.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    /** POST /collect of the topic's segments with the admin key: it must answer 202; the (first) run's id. */
    @SuppressWarnings("unchecked")
    protected String collectRun(String topic, String... segments) {
        Response r = post("/collect", List.of(Map.of("topic", topic, "segment_targets", List.of(segments))),
                "X-API-Key", ADMIN_KEY);
        org.assertj.core.api.Assertions.assertThat(r.status()).as(r.body()).isEqualTo(202);
        return (String) ((List<Map<String, Object>>) r.json().get("runs")).get(0).get("run_id");
    }

    protected String uniqueName(String prefix) {
        return prefix + "-" + ids().suffix() + "-" + COUNTER.incrementAndGet();
    }

    // ---- HTTP

    public record Response(int status, String body, Map<String, List<String>> headers) {

        public Map<String, Object> json() {
            try {
                return JSON.readValue(body, new TypeReference<>() {
                });
            } catch (IOException e) {
                throw new AssertionError("not a JSON object: " + body, e);
            }
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).findFirst()
                    .map(e -> e.getValue().get(0)).orElse(null);
        }
    }

    protected Response post(String path, Object body, String... headers) {
        String text = body instanceof String s ? s : toJson(body);
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(text))
                .header("Content-Type", "application/json"), headers);
    }

    protected Response put(String path, Object body, String... headers) {
        String text = body instanceof String s ? s : toJson(body);
        return send(HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(text))
                .header("Content-Type", "application/json"), headers);
    }

    protected Response get(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), headers);
    }

    protected Response delete(String path, String... headers) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), headers);
    }

    protected Response send(HttpRequest.Builder request, String... headers) {
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The Prometheus metrics on the management port. */
    protected String metrics() {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ids().managementPort()
                + "/observe/metrics")).GET()).body();
    }

    protected URI uri(String path) {
        return URI.create("http://127.0.0.1:" + ids().port() + path);
    }

    protected static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static Map<String, Object> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<>() {
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- gateway shortcuts

    protected void createTopic(String topic) {
        Response r = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "create"));
        if (r.status() != 201) {
            throw new AssertionError("topic create failed: " + r);
        }
    }

    /** Publishes a record as a processor would. */
    /**
     * Publishes the values under one key in one produce request (one partition, in this order, appended at once), so a
     * consumer polls them together: one batch of a batching consumer.
     */
    protected void publishTogether(String topic, String key, List<String> values) {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                PipelineInfrastructure.bootstrapServers());
        p.put(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG, "5000");
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            List<java.util.concurrent.Future<?>> sent = new java.util.ArrayList<>();
            values.forEach(v -> sent.add(producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic,
                    key, v))));
            producer.flush();
            for (var f : sent) {
                f.get();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    protected void publish(String topic, String key, String value) {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                PipelineInfrastructure.bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, key, value)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    protected void createSegment(String topic, String segment) {
        Response r = post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", segment,
                "segment_action", "create"));
        if (r.status() != 201) {
            throw new AssertionError("segment create failed: " + r);
        }
    }

    // ---- Kafka and Mongo, read directly

    protected Set<String> kafkaTopics() {
        try {
            return new HashSet<>(admin().listTopics().names().get());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    protected Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, PipelineInfrastructure.bootstrapServers());
            admin = Admin.create(p);
        }
        return admin;
    }

    protected MongoClient mongo() {
        if (mongo == null) {
            mongo = MongoClients.create(PipelineInfrastructure.mongoUri());
        }
        return mongo;
    }

    protected Set<String> mongoCollections(String database) {
        return mongo().getDatabase(database).listCollectionNames().into(new HashSet<>());
    }

    /** Every record on the topic from the beginning, read until no new one arrives for {@code quiet}. */
    protected List<ConsumerRecord<String, String>> readAll(String topic, Duration quiet) {
        return KafkaRecords.readAll(PipelineInfrastructure.bootstrapServers(), topic, quiet);
    }

    private static int freePort() {
        return PipelineProcess.freePort();
    }
}
