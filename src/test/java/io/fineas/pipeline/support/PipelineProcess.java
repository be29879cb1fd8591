package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.store.FSDirectory;

import static org.awaitility.Awaitility.await;

/**
 * The packaged jar as an operating-system process (java -jar target/fineas-pipeline.jar), on its own ports and data
 * directory: started, killed with SIGKILL at a chosen moment, stopped with SIGTERM, and started again on the same
 * data. The embedded Kafka broker and MongoDB server live and die with it.
 */
public final class PipelineProcess implements AutoCloseable {

    public static final String ADMIN_KEY = "c7a4e1d8b5f2a9c6e3d0b7f4a1c8e5d2b9f6a3c0e7d4b1f8a5c2e9d6b3f0a7c4";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> env = new LinkedHashMap<>();
    private final Path logs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private int starts;

    public PipelineProcess(Path dataDir, Path logs, Map<String, String> extraEnv) {
        this.logs = logs;
        env.put("PIPELINE_DATA_DIR", dataDir.toString());
        env.put("PIPELINE_EMBEDDED_KAFKA_PORT", Integer.toString(freePort()));
        env.put("PIPELINE_EMBEDDED_MONGODB_PORT", Integer.toString(freePort()));
        env.put("GATEWAY_PORT", Integer.toString(freePort()));
        env.put("GATEWAY_HOST", "127.0.0.1");
        env.put("MANAGEMENT_PORT", Integer.toString(freePort()));
        env.put("MANAGEMENT_HOST", "127.0.0.1");
        env.put("PIPELINE_ADMIN_KEY", ADMIN_KEY);
        // the free-space mark is DiskFullIT's: other tests run on whatever disk the machine has
        env.put("DISK_MIN_FREE_MB", "0");
        env.putAll(extraEnv);
    }

    /**
     * One role of a multi-process deployment: its data under {@code dir/name}, its log under {@code logs/name}, the
     * settings all roles share and its own (which win).
     */
    public static PipelineProcess role(Path dir, Path logs, String name, Map<String, String> shared,
            Map<String, String> own) {
        Map<String, String> env = new LinkedHashMap<>(shared);
        env.putAll(own);
        return new PipelineProcess(dir.resolve(name), logs.resolve(name), env);
    }

    /** Starts the jar and waits until it reports ready on its management port. */
    public PipelineProcess start() {
        launch();
        return awaitReady(Duration.ofSeconds(90));
    }

    private Path log;

    /** Starts the jar without waiting for it. */
    public PipelineProcess launch() {
        try {
            Files.createDirectories(logs);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx1g", "-jar",
                    Path.of("target", "fineas-pipeline.jar").toAbsolutePath().toString()));
            // nothing of this JVM's environment points the process elsewhere; what the test gives it does
            pb.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
            pb.environment().remove("MONGODB_URI");
            pb.environment().remove("REDIS_URL");
            pb.environment().putAll(env);
            log = logs.resolve("start-" + (++starts) + ".log");
            pb.redirectErrorStream(true).redirectOutput(log.toFile());
            process = pb.start();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the process reports ready on its management port (failing at once if it exits). */
    public PipelineProcess awaitReady(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(250))
                .alias("ready on the management port; log: " + log)
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("the process exited; log: " + log);
                    }
                    return status(managementUrl("/observe/health/ready")) == 200;
                });
        return this;
    }

    /** Whether the process runs. */
    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** What the process has written so far. */
    public String output() throws IOException {
        return log == null ? "" : Files.readString(log);
    }

    /** SIGKILL: no shutdown hook, no flush, no commit. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM: Camel's graceful shutdown. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    public String kafka() {
        return "127.0.0.1:" + env.get("PIPELINE_EMBEDDED_KAFKA_PORT");
    }

    public String mongoUri() {
        return "mongodb://127.0.0.1:" + env.get("PIPELINE_EMBEDDED_MONGODB_PORT");
    }

    /** The value of one of the process's environment variables (its ports among them). */
    public String env(String name) {
        return env.get(name);
    }

    public String url(String path) {
        return "http://127.0.0.1:" + env.get("GATEWAY_PORT") + path;
    }

    public String managementUrl(String path) {
        return "http://127.0.0.1:" + env.get("MANAGEMENT_PORT") + path;
    }

    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return Admin.create(p);
    }

    /** The Kafka topics of the embedded broker. */
    public java.util.Set<String> topics() throws Exception {
        try (Admin admin = admin()) {
            return admin.listTopics().names().get();
        }
    }

    /** The number of records in a topic (sum of its partitions' end offsets; 0 when it does not exist). */
    public long records(String topic) throws Exception {
        try (Admin admin = admin()) {
            return KafkaRecords.endOffset(admin, topic);
        }
    }

    /** How many inferences a segment holds, as its API answers (GET .../inferences); -1 when it answers no total. */
    public long inferences(String topic, String segment) {
        Object total = call("GET", "/topics/" + topic + "/segments/" + segment + "/inferences?size=1", null)
                .get("total");
        return total == null ? -1 : ((Number) total).longValue();
    }

    /**
     * The live chunks of its embedded vector index (PIPELINE_DATA_DIR/vectors), read from the folder by another reader
     * (Lucene allows it, running or not); 0 before the index exists.
     */
    public int chunks() throws IOException {
        try (FSDirectory index = FSDirectory.open(Path.of(env.get("PIPELINE_DATA_DIR"), "vectors"))) {
            if (!DirectoryReader.indexExists(index)) {
                return 0;
            }
            try (DirectoryReader reader = DirectoryReader.open(index)) {
                return reader.numDocs();
            }
        }
    }

    /** A consumer group's lag over a topic: records not yet committed (every record when nothing is committed). */
    public long lag(String group, String topic) throws Exception {
        try (Admin admin = admin()) {
            ListConsumerGroupOffsetsResult result = admin.listConsumerGroupOffsets(group);
            Map<TopicPartition, OffsetAndMetadata> committed = result.partitionsToOffsetAndMetadata().get();
            var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
            Map<TopicPartition, OffsetSpec> specs = new LinkedHashMap<>();
            partitions.forEach(p -> specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            long lag = 0;
            for (var e : admin.listOffsets(specs).all().get().entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                lag += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return lag;
        }
    }

    public int status(String url) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** A JSON answer of the API (admin key), with its status. */
    public Map<String, Object> call(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                    .header("X-API-Key", ADMIN_KEY).header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("status", r.statusCode());
            if (!r.body().isBlank() && r.body().trim().startsWith("{")) {
                out.putAll(JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() {
                }));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Ports handed out in this JVM: the system may offer a port again once its probe socket is closed. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free port, never one handed out before in this JVM: two asked for in a row (Kafka's and the gateway's) must
     * differ even though the first is not bound until its process starts.
     */
    public static int freePort() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0)) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
