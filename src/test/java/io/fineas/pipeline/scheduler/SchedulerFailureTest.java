package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The scheduler alone (no gateway in this application) against a stand-in gateway that refuses, and against two
 * scheduler instances sharing one Redis.
 */
class SchedulerFailureTest extends SchedulerTestSupport {

    private HttpServer gateway;
    private final ConcurrentLinkedQueue<Integer> answers = new ConcurrentLinkedQueue<>();
    private final List<String> received = new CopyOnWriteArrayList<>();

    @Override
    protected String roles() {
        return "scheduler";
    }

    @Override
    protected String gatewayUrl() {
        return "http://127.0.0.1:" + gateway().getAddress().getPort();
    }

    @Override
    protected void schedulerProperties(Properties p) {
        p.put("pipeline.scheduler.api-key", "scheduler-key");
        try {
            Files.writeString(dir().resolve("run.json"), "[{\"topic\":\"t\",\"segment_targets\":[\"s\"]}]");
            Files.writeString(dir().resolve("schedule.json"),
                    "[{\"data_collection_file_path\": \"run.json\", \"schedule\": 1}]");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpServer gateway() {
        if (gateway == null) {
            try {
                gateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            gateway.createContext("/collect", exchange -> {
                received.add(exchange.getRequestHeaders().getFirst("X-API-Key") + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                Integer status = answers.poll();
                byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(status == null ? 202 : status, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            gateway.start();
        }
        return gateway;
    }

    /** Each test starts with no call made and no answer queued. */
    @BeforeEach
    void freshState() {
        received.clear();
        answers.clear();
        book().state().reset();
    }

    @AfterAll
    void stopGateway() {
        gateway.stop(0);
    }

    @Test
    void aRefusedOrFailedPostDoesNotCountAsACallAndIsRetriedNextTick() {
        ScheduleBook book = book();
        answers.add(503);
        answers.add(500);

        template.sendBody("direct:scheduler-tick", null);
        assertThat(received).hasSize(1);
        assertThat(received.get(0)).startsWith("scheduler-key [{\"topic\":\"t\"");
        assertThat(book.state().lastCall("run.json")).isNull();

        template.sendBody("direct:scheduler-tick", null);
        assertThat(received).hasSize(2);
        assertThat(book.state().lastCall("run.json")).isNull();

        template.sendBody("direct:scheduler-tick", null); // the stand-in now answers 202
        assertThat(received).hasSize(3);
        assertThat(book.state().lastCall("run.json")).isEqualTo(clock.instant());

        template.sendBody("direct:scheduler-tick", null); // accepted: not due again for a day
        assertThat(received).hasSize(3);
        clock.advance(Duration.ofDays(1));
        template.sendBody("direct:scheduler-tick", null);
        assertThat(received).hasSize(4);
    }

    @Test
    void aRefusalThatRepeatsIsCountedNotReportedAnew() {
        ScheduleBook book = book();
        answers.add(404);
        answers.add(404);
        answers.add(404);
        answers.add(403);

        template.sendBody("direct:scheduler-tick", null);
        ScheduleBook.Outcome first = book.outcomes().get("run.json");
        assertThat(first.outcome()).isEqualTo("refused by the gateway (HTTP 404): {}");
        assertThat(first.repeats()).isZero();

        clock.advance(Duration.ofMinutes(1));
        template.sendBody("direct:scheduler-tick", null);
        clock.advance(Duration.ofMinutes(1));
        template.sendBody("direct:scheduler-tick", null);
        ScheduleBook.Outcome repeated = book.outcomes().get("run.json");
        assertThat(repeated.repeats()).isEqualTo(2);
        assertThat(repeated.since()).isEqualTo(first.since());

        clock.advance(Duration.ofMinutes(1));
        template.sendBody("direct:scheduler-tick", null); // a different refusal is new again
        assertThat(book.outcomes().get("run.json").outcome()).contains("HTTP 403");
        assertThat(book.outcomes().get("run.json").repeats()).isZero();

        template.sendBody("direct:scheduler-tick", null); // accepted at last
        assertThat(book.outcomes().get("run.json").outcome()).isEqualTo("accepted");
        assertThat(book.state().lastCall("run.json")).isEqualTo(clock.instant());
        assertThat(received).hasSize(5);
    }

    @Test
    void twoSchedulerInstancesOnOneRedisFireEachDueEntryOnce() throws Exception {
        String prefix = "test-two:" + ids().suffix();
        try (RedisSchedulerState a = new RedisSchedulerState("redis://127.0.0.1:6379", prefix, Duration.ofMinutes(5));
                RedisSchedulerState b = new RedisSchedulerState("redis://127.0.0.1:6379", prefix,
                        Duration.ofMinutes(5))) {
            a.reset();
            ScheduleBook first = new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), a, clock);
            ScheduleBook second = new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), b, clock);
            int fired = 0;
            for (int period = 0; period < 3; period++) {
                List<ScheduleBook.Due> dueA = first.dueEntries();
                List<ScheduleBook.Due> dueB = second.dueEntries();
                assertThat(dueA).hasSize(1);
                assertThat(dueB).hasSize(1);
                boolean wonA = first.claim(dueA.get(0));
                boolean wonB = second.claim(dueB.get(0));
                assertThat(wonA ^ wonB).as("exactly one instance claims period " + period).isTrue();
                (wonA ? first : second).recordCall(wonA ? dueA.get(0) : dueB.get(0));
                fired++;
                assertThat(first.dueEntries()).isEmpty();
                assertThat(second.dueEntries()).isEmpty();
                clock.advance(Duration.ofDays(1));
            }
            assertThat(fired).isEqualTo(3);
        }
    }

    @Test
    void aSecondInstanceOrARestartKeepsTheLastCallsAndOnlyAServiceStartingFromNothingResets() throws Exception {
        String prefix = "test-alive:" + ids().suffix();
        String url = "redis://127.0.0.1:6379";
        Duration liveness = Duration.ofSeconds(2);
        try (RedisSchedulerState a = new RedisSchedulerState(url, prefix, Duration.ofMinutes(5), liveness)) {
            ScheduleBook first = new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), a, clock);
            List<ScheduleBook.Due> due = first.dueEntries();
            assertThat(due).hasSize(1);
            assertThat(first.claim(due.get(0))).isTrue();
            first.recordCall(due.get(0));
            Instant called = a.lastCall("run.json");

            // a second instance starts (or this one restarts) while the service runs: nothing fires again
            try (RedisSchedulerState b = new RedisSchedulerState(url, prefix, Duration.ofMinutes(5), liveness)) {
                assertThat(new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), b, clock).dueEntries()).isEmpty();
                assertThat(b.lastCall("run.json")).isEqualTo(called);
            }
            assertThat(first.dueEntries()).isEmpty();
        }
        // every instance gone for longer than the liveness period: the next start is the service starting anew
        try (redis.clients.jedis.JedisPooled jedis = new redis.clients.jedis.JedisPooled(java.net.URI.create(url))) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !jedis.exists(prefix + ":alive"));
        }
        try (RedisSchedulerState c = new RedisSchedulerState(url, prefix, Duration.ofMinutes(5), liveness)) {
            assertThat(new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), c, clock).dueEntries()).hasSize(1);
            assertThat(c.lastCall("run.json")).isNull();
        }
    }

    @Test
    void redisDownIsReportedAndNothingFires() {
        try (RedisSchedulerState down = new RedisSchedulerState("redis://127.0.0.1:1", "x", Duration.ofMinutes(1))) {
            ScheduleBook book = new ScheduleBook(new ScheduleFile(dir().resolve("schedule.json")), down, clock);
            assertThat(down.ping()).isFalse();
            org.assertj.core.api.Assertions.assertThatThrownBy(book::dueEntries)
                    .hasMessageContaining("127.0.0.1");
        }
    }
}
