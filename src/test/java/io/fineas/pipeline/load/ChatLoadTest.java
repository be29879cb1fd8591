package io.fineas.pipeline.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.fineas.pipeline.gateway.ChatRequests;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 40 questions of one key waiting for their answers (the gateway alone: no chat service answers, so each waits its
 * full timeout) must not delay another key's GET /topics beyond a second: a waiting question holds no HTTP worker
 * (there are 20). The 41st waiting question of that key is refused with 429 at once.
 */
class ChatLoadTest extends PipelineTestSupport {

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.chat.timeout-ms", "8000");
        p.put("pipeline.chat.max-waiting-per-key", "40");
        p.put("pipeline.gateway.request-timeout-ms", "9000");
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
    }

    @Test
    void fortyWaitingQuestionsOfOneKeyDoNotDelayAnotherKey() throws Exception {
        String topic = uniqueName("load");
        createTopic(topic);
        String asker = key("asker", "read:*");
        String other = key("other", "read:" + topic);
        ExecutorService clients = Executors.newFixedThreadPool(40);
        List<CompletableFuture<Response>> questions = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < 40; i++) {
            int n = i;
            questions.add(CompletableFuture.supplyAsync(() -> post("/chat", Map.of("question", "Question " + n + "?"),
                    "X-API-Key", asker), clients));
        }
        ChatRequests waiting = context.getRegistry().lookupByNameAndType("chatRequests", ChatRequests.class);
        await().atMost(Duration.ofSeconds(5)).until(() -> waiting.waiting() == 40);

        Response refused = post("/chat", Map.of("question", "One more?"), "X-API-Key", asker);
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.json()).containsEntry("error", "too_many_questions");
        assertThat(refused.header("Retry-After")).isNotNull();
        long slowest = 0;
        for (int i = 0; i < 10; i++) {
            long t = System.nanoTime();
            Response topics = get("/topics", "X-API-Key", other);
            slowest = Math.max(slowest, System.nanoTime() - t);
            assertThat(topics.status()).isEqualTo(200);
            assertThat(topics.body()).contains(topic);
        }
        assertThat(waiting.waiting()).as("the questions were still waiting meanwhile").isEqualTo(40);
        assertThat(Duration.ofNanos(slowest)).isLessThan(Duration.ofSeconds(1));

        for (CompletableFuture<Response> q : questions) {
            Response r = q.get();
            assertThat(r.status()).isEqualTo(504);
            assertThat(r.json()).containsEntry("error", "timeout");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(8));
        assertThat(waiting.waiting()).isZero();
        clients.shutdown();
    }

    @Test
    void aSlowDripUploadIsAnsweredWhenItsTimeIsUpAndFreesItsWorker() throws Exception {
        long started = System.nanoTime();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", ids().port())) {
            socket.setSoTimeout(30_000);
            var out = socket.getOutputStream();
            out.write(("POST /topics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "X-API-Key: " + ADMIN_KEY + "\r\nContent-Length: 100000\r\n\r\n{\"topic\":\"")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            // a byte every 200 ms: never done, never idle
            var answer = new java.io.ByteArrayOutputStream();
            var in = socket.getInputStream();
            Thread drip = new Thread(() -> {
                try {
                    for (int i = 0; i < 200; i++) {
                        out.write('a');
                        out.flush();
                        Thread.sleep(200);
                    }
                } catch (Exception closed) {
                    // the server answered and closed: what the test expects
                }
            });
            drip.setDaemon(true);
            drip.start();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = in.read(buffer)) > 0) {
                answer.write(buffer, 0, n);
                if (answer.toString().contains("}")) {
                    break;
                }
            }
            String response = answer.toString(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response).startsWith("HTTP/1.1 503").contains("\"error\":\"timeout\"")
                    .contains("X-Content-Type-Options: nosniff");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofSeconds(8),
                Duration.ofSeconds(20));
        assertThat(get("/topics", "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
    }

    private String key(String name, String scope) {
        Response created = post("/keys", Map.of("name", name, "scopes", List.of(scope)), "X-API-Key", ADMIN_KEY);
        assertThat(created.status()).isEqualTo(201);
        return (String) created.json().get("api_key");
    }
}
