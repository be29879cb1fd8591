package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.fineas.pipeline.support.PipelineProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Gateway and scheduler in one application (as the gateway container runs them) with a real Redis server of the
 * test's own that is down at start-up, then started, stopped and started again (append-only file kept): the gateway
 * serves all along, the scheduler says it is not ready while Redis is down, fires nothing meanwhile, fires once Redis
 * answers, and a Redis restart does not make it fire again.
 */
class SchedulerRedisOutageTest extends SchedulerTestSupport {

    // assigned lazily: CamelTestSupport's constructor asks for the properties before field initializers run
    private int redisPort;
    private Path redisDir;
    private Process redis;

    @Override
    protected String roles() {
        return "gateway,scheduler";
    }

    @Override
    protected String gatewayUrl() {
        return "http://127.0.0.1:" + ids().port();
    }

    @Override
    protected void schedulerProperties(Properties p) {
        redisPort = PipelineProcess.freePort();
        p.put("pipeline.scheduler.redis-url", "redis://127.0.0.1:" + redisPort);
        try {
            redisDir = Files.createTempDirectory("redis-outage");
            Files.writeString(dir().resolve("run.json"), "[{\"topic\":\"" + topic() + "\",\"segment_targets\":[\"s\"]}]");
            Files.writeString(dir().resolve("schedule.json"),
                    "[{\"data_collection_file_path\": \"run.json\", \"schedule\": 1}]");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String topic() {
        return "sched-" + ids().suffix().toLowerCase().replaceAll("[^a-z0-9]", "");
    }

    private void startRedis() throws IOException {
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(redisPort), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", redisDir.toString())
                .redirectErrorStream(true).redirectOutput(redisDir.resolve("redis.log").toFile()).start();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(readiness())
                .contains("\"scheduler-redis\",\"status\":\"UP\""));
    }

    private void stopRedis() throws InterruptedException {
        redis.destroyForcibly();
        redis.waitFor(10, TimeUnit.SECONDS);
    }

    private String readiness() {
        return send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + ids().managementPort() + "/observe/health/ready?exposureLevel=full")).GET()).body();
    }

    @AfterAll
    void stopRedisServer() throws InterruptedException {
        if (redis != null) {
            stopRedis();
        }
    }

    private long runs() {
        return mongo().getDatabase(ids().systemDatabase()).getCollection("runs")
                .countDocuments(com.mongodb.client.model.Filters.eq("topic", topic()));
    }

    /** Runs are recorded from their alerts a moment after the 202: the count reaches n and stays there. */
    private void assertRuns(long n) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .during(java.time.Duration.ofMillis(800)).until(() -> runs() == n);
    }

    @Test
    void theGatewayServesThroughARedisOutageAndTheScheduleFiresOnceRedisIsBack() throws Exception {
        // Redis is down: the application started, the gateway serves, the scheduler is not ready and fires nothing
        assertThat(get("/topics", "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
        assertThat(readiness()).contains("\"scheduler-redis\",\"status\":\"DOWN\"");
        createTopic(topic());
        createSegment(topic(), "s");
        tick();
        assertRuns(0);

        startRedis();
        tick();
        assertRuns(1);
        tick();
        assertRuns(1);

        // Redis restarts (its append-only file kept): the last call is still there, nothing fires again
        stopRedis();
        tick();
        startRedis();
        tick();
        tick();
        assertRuns(1);
        assertThat(get("/schedule", "X-API-Key", ADMIN_KEY).json().toString()).contains("run.json");
    }
}
