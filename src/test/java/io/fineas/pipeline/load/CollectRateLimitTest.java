package io.fineas.pipeline.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 300 POST /collect in 10 s with one key: the key's budget (a burst of 10, then 60 a minute) lets through no more
 * than it allows, every other request gets 429 with Retry-After, and only the accepted ones became runs on Kafka;
 * another key's budget is its own.
 */
class CollectRateLimitTest extends PipelineTestSupport {

    private static final int BURST = 10;
    private static final int PER_MINUTE = 60;

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.gateway.rate.collect.per-minute", Integer.toString(PER_MINUTE));
        p.put("pipeline.gateway.rate.collect.burst", Integer.toString(BURST));
        p.put("pipeline.gateway.rate.reports.per-minute", "6");
        p.put("pipeline.gateway.rate.reports.burst", "3");
    }

    /** GET /topics and GET /usage read over every topic a key may read: they share a budget (they had none). */
    @Test
    void theReportsOfEveryTopicHaveABudgetPerKey() {
        String reader = key("reader", "read:*");
        assertThat(get("/topics", "X-API-Key", reader).status()).isEqualTo(200);
        assertThat(get("/usage", "X-API-Key", reader).status()).isEqualTo(200);
        assertThat(get("/topics", "X-API-Key", reader).status()).isEqualTo(200);
        Response limited = get("/usage", "X-API-Key", reader);
        assertThat(limited.status()).as(limited.body()).isEqualTo(429);
        assertThat(limited.json()).containsEntry("error", "rate_limited");
        assertThat(get("/topics", "X-API-Key", reader).status()).isEqualTo(429);
        // another key's budget is its own
        assertThat(get("/topics", "X-API-Key", key("other-reader", "read:*")).status()).isEqualTo(200);
    }

    @Test
    void threeHundredCollectsInTenSecondsGetNoMoreRunsThanTheBudget() throws Exception {
        String topic = uniqueName("limited");
        createTopic(topic);
        createSegment(topic, "s");
        String key = key("busy", "write:" + topic);
        String other = key("calm", "write:" + topic);
        List<Map<String, Object>> body = List.of(Map.of("topic", topic, "segment_targets", List.of("s")));

        ExecutorService clients = Executors.newFixedThreadPool(10);
        List<Future<Response>> sent = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            long due = started + TimeUnit.MILLISECONDS.toNanos(i * 10_000L / 300);
            sent.add(clients.submit(() -> {
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                return post("/collect", body, "X-API-Key", key);
            }));
        }
        int accepted = 0;
        int limited = 0;
        for (Future<Response> f : sent) {
            Response r = f.get();
            if (r.status() == 202) {
                accepted++;
            } else {
                assertThat(r.status()).as(r.body()).isEqualTo(429);
                assertThat(r.json()).containsEntry("error", "rate_limited");
                assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
                limited++;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        clients.shutdown();

        long allowed = BURST + (long) Math.ceil(PER_MINUTE * seconds / 60);
        assertThat(accepted).isBetween(BURST, (int) allowed);
        assertThat(limited).isEqualTo(300 - accepted);
        // the other key has its own budget
        assertThat(post("/collect", body, "X-API-Key", other).status()).isEqualTo(202);
        // runs on Kafka: exactly the accepted ones, plus the other key's
        assertThat(readAll(alertTopic(), Duration.ofMillis(500))).hasSize(accepted + 1);
    }

    private String key(String name, String scope) {
        Response created = post("/keys", Map.of("name", name, "scopes", List.of(scope)), "X-API-Key", ADMIN_KEY);
        assertThat(created.status()).isEqualTo(201);
        return (String) created.json().get("api_key");
    }
}
