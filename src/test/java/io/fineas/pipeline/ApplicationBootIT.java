package io.fineas.pipeline;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar in its own JVM, as the README runs it (java -jar target/fineas-pipeline.jar): the embedded default (its own Kafka broker and Mongo
 * server) serves the API within 30 seconds and reports ready on its management port, and a restart keeps the topics
 * and segments it had.
 */
class ApplicationBootIT {

    private static final Path LOGS = Path.of("target", "boot-test");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void embeddedDefaultServesTheApiQuicklyAndARestartKeepsTopics(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = gatewayEnv(dataDir, ADMIN_KEY);
        String base = "http://127.0.0.1:" + env.get("GATEWAY_PORT");

        Process first = start(env, LOGS.resolve("first.log"));
        try {
            long started = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .alias("API up; log: " + LOGS.resolve("first.log"))
                    .until(() -> status(base + "/topics") == 200);
            System.out.printf("embedded default served the API after %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            // the orchestrator's probe: ready on the management port once the routes and consumers run
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status("http://127.0.0.1:" + env.get("MANAGEMENT_PORT") + "/observe/health/ready")
                            == 200);
            // the management port (metrics name every topic) listens on loopback only, unless MANAGEMENT_HOST says
            // otherwise; the API listens on every interface
            String external = externalAddress();
            if (external != null) {
                assertThat(status("http://" + external + ":" + env.get("MANAGEMENT_PORT") + "/observe/health/ready"))
                        .isEqualTo(-1);
                assertThat(status("http://" + external + ":" + env.get("GATEWAY_PORT") + "/topics")).isEqualTo(200);
            }
            assertThat(post(base + "/topics", "{\"topic\":\"kept\",\"topic_action\":\"create\"}")).isEqualTo(201);
            assertThat(post(base + "/segments", "{\"topic\":\"kept\",\"segment\":\"s1\",\"segment_action\":\"create\"}"))
                    .isEqualTo(201);
        } finally {
            stop(first);
        }

        Process second = start(env, LOGS.resolve("second.log"));
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .until(() -> status(base + "/topics") == 200);
            assertThat(body(base + "/topics/kept/segments")).contains("\"s1\"");
            // the Kafka topic survived too: deleting the topic finds and removes it
            assertThat(post(base + "/topics", "{\"topic\":\"kept\",\"topic_action\":\"delete\"}")).isEqualTo(200);
        } finally {
            stop(second);
        }
    }

    @Test
    void aWeakConfiguredAdminKeyStopsTheStartWithAClearMessage(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = gatewayEnv(dataDir, "change-me");
        Path log = LOGS.resolve("weak-key.log");
        Process p = start(env, log);
        try {
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the start ends by itself; log: " + log).isTrue();
            assertThat(p.exitValue()).isNotZero();
            assertThat(java.nio.file.Files.readString(log)).contains("PIPELINE_ADMIN_KEY is too weak")
                    .contains("openssl rand -hex 32");
            assertThat(status("http://127.0.0.1:" + env.get("GATEWAY_PORT") + "/topics")).isEqualTo(-1);
        } finally {
            stop(p);
        }
    }

    /**
     * What a first start (and its stop) may warn about: what the user can act on (a shipped processor's or schedule entry's topic
     * that does not exist yet: create it). Anything else a first start warns about reads as a fault and is not one.
     */
    private static final java.util.regex.Pattern ACTIONABLE = java.util.regex.Pattern.compile(
            " WARN  \\[[^]]+] (?:ProcessorBeans - Processor \\S+ waits: topic|ScheduleBook - Scheduled collection "
                    + "\\S+ refused by the gateway \\(HTTP 404\\))");

    @Test
    void aFirstStartAndStopOfEveryRoleLogNoWarningAUserCannotActOn(@TempDir Path dataDir) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(gatewayEnv(dataDir, ADMIN_KEY));
        env.put("PIPELINE_ROLES", "all");
        Path log = LOGS.resolve("first-start.log");
        Process p = start(env, log);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).alias("ready; log: " + log)
                    .until(() -> status("http://127.0.0.1:" + env.get("MANAGEMENT_PORT") + "/observe/health/ready")
                            == 200);
            // the scheduler's first tick and the consumers' first polls come just after ready
            Thread.sleep(3000);
            // and a clean stop (SIGTERM), as an orchestrator's: the HTTP servers closed before their Vert.x (a WARN
            // with a stack trace per server at every stop, before)
            stop(p);
            assertThat(java.nio.file.Files.readString(log)).as("log: " + log)
                    .containsPattern("Apache Camel \\(Main\\) \\S+ is shutdown");
            List<String> warnings = java.nio.file.Files.readAllLines(log).stream()
                    .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).toList();
            assertThat(warnings).as("log: " + log).allMatch(l -> ACTIONABLE.matcher(l).find());
        } finally {
            stop(p);
        }
    }

    private static final String ADMIN_KEY = "b00715e5f1a2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c";

    /** The gateway role on the embedded default, on free ports and its own data directory. */
    private static Map<String, String> gatewayEnv(Path dataDir, String adminKey) {
        return Map.of(
                "PIPELINE_DATA_DIR", dataDir.toString(),
                "PIPELINE_EMBEDDED_KAFKA_PORT", Integer.toString(freePort()),
                "PIPELINE_EMBEDDED_MONGODB_PORT", Integer.toString(freePort()),
                "GATEWAY_PORT", Integer.toString(freePort()),
                "MANAGEMENT_PORT", Integer.toString(freePort()),
                "PIPELINE_ADMIN_KEY", adminKey,
                "PIPELINE_ROLES", "gateway");
    }

    /** An address of this machine other than loopback, or null when it has none. */
    private static String externalAddress() throws IOException {
        for (java.net.NetworkInterface nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (java.net.InetAddress a : java.util.Collections.list(nic.getInetAddresses())) {
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return a.getHostAddress();
                }
            }
        }
        return null;
    }

    private static Process start(Map<String, String> env, Path log) throws IOException {
        java.nio.file.Files.createDirectories(LOGS);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-jar", Path.of("target", "fineas-pipeline.jar").toString()));
        pb.environment().putAll(env);
        pb.environment().remove("KAFKA_BOOTSTRAP_SERVERS");
        pb.environment().remove("MONGODB_URI");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    private int status(String url) {
        try {
            return http.send(request(url).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private String body(String url) throws Exception {
        return http.send(request(url).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private int post(String url, String json) throws Exception {
        return http.send(request(url).POST(HttpRequest.BodyPublishers.ofString(json))
                .header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private static HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url)).header("X-API-Key", ADMIN_KEY)
                .timeout(Duration.ofSeconds(30));
    }

    private static int freePort() {
        return io.fineas.pipeline.support.PipelineProcess.freePort();
    }
}
