package io.fineas.pipeline.observe;

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
import java.util.Map;
import java.util.Properties;

import com.mongodb.MongoClientSettings;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.fineas.pipeline.infra.PingHealthCheck;
import io.fineas.pipeline.scheduler.RedisSchedulerState;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.camel.health.HealthCheck;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health and metrics on the management port: readiness made of the Kafka consumers, the routes, MongoDB and the
 * scheduler's Redis; Prometheus metrics per route; a stopped consumer or an unreachable server makes it DOWN.
 */
class ObservabilityTest extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "gateway,scheduler,processors";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.scheduler.redis-prefix", "test-observe:" + ids().suffix());
        p.put("pipeline.scheduler.schedule-file", dataDir().resolve("no-schedule.json").toString());
        try {
            Path processors = Files.createDirectories(dataDir().resolve("processors"));
            Files.writeString(processors.resolve("notes.yaml"), "topic: obs-" + ids().suffix()
                    + "\nsegment: notes\ndata_list: notes.data.json\nsource:\n  kind: file\n");
            Files.writeString(processors.resolve("notes.data.json"), "[]");
            p.put("pipeline.processors.dir", processors.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> management(String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ids().managementPort() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readinessCoversKafkaConsumersRoutesMongoAndRedis() {
        HttpResponse<String> ready = management("/observe/health/ready?exposureLevel=full");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("{\"status\":\"UP\"")
                .contains("{\"name\":\"mongodb\",\"status\":\"UP\"}")
                .contains("{\"name\":\"scheduler-redis\",\"status\":\"UP\"}")
                // the processor's Kafka consumer on the alert topic, and a REST route
                .contains("{\"name\":\"consumer:processors-notes\",\"status\":\"UP\"}")
                .contains("{\"name\":\"route:gateway-topic-request\",\"status\":\"UP\"}");
        assertThat(management("/observe/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsCountEachRoutesExchangesInPrometheusFormat() {
        Response created = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", "obs-" + ids().suffix(),
                "topic_action", "create"));
        assertThat(created.status()).isIn(201, 409);

        HttpResponse<String> metrics = management("/observe/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body()).containsPattern("camel_exchanges_total\\{[^}]*routeId=\"gateway-topic-request\"")
                .contains("jvm_memory_used_bytes")
                // the exchange event notifier's (infra/ExchangeEventMetrics): exchanges done per endpoint, the last one
                .containsPattern("camel_exchange_event_notifier_seconds_count\\{[^}]*eventType=\"ExchangeCompletedEvent\"")
                .containsPattern("(?m)^camel_exchanges_last_timestamp(\\{[^}]*})? 1\\.[0-9]+E12$");
    }

    @Test
    void deadLetterRecordsAreCountedPerDeadLetterTopic() {
        String series = "camel_exchange_event_notifier_seconds_count\\{[^}]*endpointName=\"kafka://"
                + java.util.regex.Pattern.quote(alertTopic() + ".dlq") + "(\\?[^\"]*)?\"[^}]*eventType=\"ExchangeSentEvent\"[^}]*} (\\d+)";
        publish(alertTopic(), "x", "not an alert");
        publish(alertTopic(), "y", "{\"topic\": 7}");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String metrics = management("/observe/metrics").body();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(series).matcher(metrics);
            assertThat(m.find()).as("a dead-letter series for " + alertTopic() + ".dlq among "
                    + metrics.lines().filter(l -> l.contains("dlq")).toList()).isTrue();
            assertThat(Double.parseDouble(m.group(2))).isEqualTo(2.0);
        });
    }

    @Test
    void theApiPortDoesNotServeTheManagementEndpoints() {
        Response r = get("/observe/metrics");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json()).containsKey("error");
    }

    @Test
    void aStoppedConsumerMakesTheInstanceUnreadyUntilItRunsAgain() throws Exception {
        context.getRouteController().stopRoute("processors-notes");
        try {
            HttpResponse<String> down = management("/observe/health/ready");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("route:processors-notes")
                    .doesNotContain("route:gateway-topic-request"); // the default exposure names what is down only
        } finally {
            context.getRouteController().startRoute("processors-notes");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> management("/observe/health/ready").statusCode() == 200);
    }

    @Test
    void anUnreachableServerIsDownWithItsReason() throws Exception {
        int closed = closedPort();
        try (MongoClient mongo = MongoClients.create(MongoClientSettings.builder()
                .applyToClusterSettings(c -> c.hosts(java.util.List.of(new ServerAddress("127.0.0.1", closed))))
                .build());
                RedisSchedulerState redis = new RedisSchedulerState("redis://127.0.0.1:" + closed, "x",
                        Duration.ofMinutes(1))) {
            PingHealthCheck mongoCheck = PingHealthCheck.mongodb(mongo);
            PingHealthCheck redisCheck = new PingHealthCheck("scheduler-redis", redis::ping, "Redis does not answer");
            mongoCheck.setCamelContext(context);
            redisCheck.setCamelContext(context);

            HealthCheck.Result mongoResult = mongoCheck.call();
            assertThat(mongoResult.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(mongoResult.getMessage()).hasValue("no writable MongoDB server at [127.0.0.1:" + closed + "]");
            assertThat(redisCheck.call().getState()).isEqualTo(HealthCheck.State.DOWN);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
