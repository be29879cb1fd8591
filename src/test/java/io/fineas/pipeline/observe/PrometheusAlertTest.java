package io.fineas.pipeline.observe;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped alert rules in a real Prometheus (Debian's, the server of the package whose promtool checks the rules):
 * it scrapes a running pipeline's management port, and a record the analysis cannot take, set aside on its
 * dead-letter topic, makes DeadLettersArriving fire for that topic, as Prometheus's own API reports it.
 */
class PrometheusAlertTest extends PipelineTestSupport {

    private Process prometheus;
    private int prometheusPort;

    @Override
    protected String roles() {
        return "gateway,rag";
    }

    /** Debian's prometheus on the PATH, or where .ci/run unpacks the package. */
    static Path prometheusBinary() {
        Optional<Path> found = Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, "prometheus")), Stream.of(Path.of("/tmp/prometheus-pkg/usr/bin/prometheus")))
                .filter(Files::isExecutable).findFirst();
        assertThat(found).as("this test runs Debian's prometheus: apt-get install prometheus, or run .ci/run, which "
                + "unpacks the package into /tmp/prometheus-pkg").isPresent();
        return found.get();
    }

    @AfterAll
    void stopPrometheus() {
        if (prometheus != null) {
            prometheus.destroy();
        }
    }

    private void startPrometheus() throws IOException {
        Path dir = Files.createTempDirectory("prometheus");
        Files.copy(Path.of("deploy/prometheus/alerts.yml"), dir.resolve("alerts.yml"));
        Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                "global: {scrape_interval: 3s, scrape_timeout: 3s, evaluation_interval: 1s}",
                "rule_files: [alerts.yml]",
                "scrape_configs:",
                "  - job_name: fineas-pipeline",
                "    metrics_path: /observe/metrics",
                "    static_configs: [{targets: ['127.0.0.1:" + ids().managementPort() + "']}]", ""));
        try (ServerSocket s = new ServerSocket(0)) {
            prometheusPort = s.getLocalPort();
        }
        prometheus = new ProcessBuilder(prometheusBinary().toString(),
                "--config.file=" + dir.resolve("prometheus.yml"), "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
    }

    private Map<String, Object> api(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + prometheusPort + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return parse(r.body());
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> alerts(String name) throws Exception {
        List<Map<String, Object>> all = (List<Map<String, Object>>) ((Map<String, Object>) api("/api/v1/alerts")
                .get("data")).get("alerts");
        return all.stream().filter(a -> name.equals(((Map<String, Object>) a.get("labels")).get("alertname")))
                .toList();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRecordSetAsideOnTheModelsDeadLetterTopicMakesTheRuleFireInPrometheus() throws Exception {
        startPrometheus();
        // Prometheus scrapes the pipeline and evaluates the rules; nothing fires while nothing is set aside
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            List<Map<String, Object>> up = (List<Map<String, Object>>) ((Map<String, Object>) api(
                    "/api/v1/query?query=" + URLEncoder.encode("up{job=\"fineas-pipeline\"}", StandardCharsets.UTF_8))
                    .get("data")).get("result");
            assertThat(up).hasSize(1);
            assertThat(((List<Object>) up.get(0).get("value")).get(1)).as("up, the targets: %s",
                    api("/api/v1/targets")).isEqualTo("1");
            assertThat(((List<?>) ((Map<String, Object>) api("/api/v1/rules").get("data")).get("groups")))
                    .isNotEmpty();
        });
        String llmDlq = "kafka://llm-" + ids().suffix() + ".dlq";
        assertThat(alerts("DeadLettersArriving")).noneMatch(a -> llmDlq.equals(((Map<String, Object>) a.get("labels"))
                .get("endpointName")));

        // a record the model cannot take: not JSON (the analysis sets it aside on llm.dlq, the ingestion on ingest.dlq)
        String topic = uniqueName("alerting");
        createTopic(topic);
        createSegment(topic, "news");
        publish(dataTopic(topic), "broken", "{not json at all");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                assertThat(alerts("DeadLettersArriving")).anySatisfy(a -> {
                    assertThat((Map<String, Object>) a.get("labels")).containsEntry("endpointName", llmDlq)
                            .containsEntry("severity", "warn");
                    assertThat(a.get("state")).isEqualTo("firing");
                    assertThat((String) ((Map<String, Object>) a.get("annotations")).get("summary"))
                            .isEqualTo("records set aside on " + llmDlq);
                }));
    }
}
