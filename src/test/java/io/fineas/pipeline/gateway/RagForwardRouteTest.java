package io.fineas.pipeline.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.fineas.pipeline.support.PipelineProcess;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway without the RAG role forwards POST /search and GET /lineage/{chunk_id} to RAG_URL (routes/gateway-rag/):
 * here a stand-in of the RAG service that records what reaches it and answers what the test says.
 */
class RagForwardRouteTest extends PipelineTestSupport {

    private static final int RAG_PORT = PipelineProcess.freePort();

    /** What reached the stand-in: method, raw path and query, headers, body. */
    record Seen(String method, String path, String query, Headers headers, String body) {
    }

    /** What the stand-in answers next. */
    private volatile int status = 200;
    private volatile String answer = "{\"hits\":[]}";
    private volatile Map<String, String> answerHeaders = Map.of();
    private final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
    private HttpServer rag;

    @Override
    protected void overrideProperties(Properties properties) {
        properties.put("pipeline.gateway.rag-url", "http://127.0.0.1:" + RAG_PORT);
        properties.put("pipeline.gateway.rag-timeout-ms", "2000");
    }

    @BeforeEach
    void ragServiceUp() throws IOException {
        seen.clear();
        status = 200;
        answer = "{\"hits\":[]}";
        answerHeaders = Map.of();
        if (rag != null) {
            return;
        }
        rag = HttpServer.create(new InetSocketAddress("127.0.0.1", RAG_PORT), 0);
        rag.createContext("/", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders(), body));
            byte[] out = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            answerHeaders.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.sendResponseHeaders(status, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        rag.start();
    }

    @AfterAll
    void ragServiceDown() {
        if (rag != null) {
            rag.stop(0);
        }
    }

    private Seen reached() throws InterruptedException {
        Seen s = seen.poll(5, TimeUnit.SECONDS);
        assertThat(s).as("a request reached the RAG service").isNotNull();
        return s;
    }

    @Test
    void aSearchGoesToTheRagServiceWithTheKeyAndBodyAndNothingElseOfTheRequest() throws Exception {
        answer = "{\"hits\":[{\"chunk_id\":\"c1\",\"score\":0.9}]}";
        answerHeaders = Map.of("Set-Cookie", "session=abc", "X-Internal-Host", "rag-0", "Server", "stand-in");
        String body = "{\"query\":\"harbour cranes\",\"topic\":\"finance\",\"k\":3}";

        Response r = post("/search?debug=true", body, "X-API-Key", "fpk_caller", "Cookie", "session=x",
                "Authorization", "Bearer t", "X-Forwarded-For", "10.0.0.9", "X-Schedule-Entry", "daily.json");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json()).isEqualTo(parse(answer));
        assertThat(r.headers().keySet()).map(String::toLowerCase)
                .doesNotContain("set-cookie", "x-internal-host", "server");
        Seen s = reached();
        assertThat(s.method()).isEqualTo("POST");
        assertThat(s.path()).isEqualTo("/search");
        assertThat(s.query()).isNull();
        assertThat(s.body()).isEqualTo(body);
        assertThat(s.headers().getFirst("X-API-Key")).isEqualTo("fpk_caller");
        assertThat(s.headers().getFirst("Content-Type")).startsWith("application/json");
        for (String never : List.of("Cookie", "Authorization", "X-Forwarded-For", "X-Schedule-Entry")) {
            assertThat(s.headers().containsKey(never)).as(never).isFalse();
        }
    }

    @Test
    void theRagServicesRefusalComesBackAsItIsWithWhenToComeBack() throws Exception {
        status = 429;
        answer = "{\"error\":\"rate_limited\",\"detail\":\"this API key made more than 60 search requests\"}";
        answerHeaders = Map.of("Retry-After", "7");

        Response r = post("/search", "{\"query\":\"q\"}", "X-API-Key", "fpk_busy");

        assertThat(r.status()).isEqualTo(429);
        assertThat(r.json()).containsEntry("error", "rate_limited");
        assertThat(r.header("Retry-After")).isEqualTo("7");
        reached();
    }

    @Test
    void aChunkIdReachesOnlyTheLineageOfThatChunk() throws Exception {
        answer = "{\"chunk_id\":\"../status\"}";

        Response r = get("/lineage/..%2Fstatus?x=1", "X-API-Key", "fpk_caller");

        assertThat(r.status()).isEqualTo(200);
        Seen s = reached();
        assertThat(s.method()).isEqualTo("GET");
        assertThat(s.path()).isEqualTo("/lineage/..%2Fstatus");
        assertThat(s.query()).isNull();
        assertThat(s.body()).isEmpty();
        assertThat(s.headers().getFirst("X-API-Key")).isEqualTo("fpk_caller");

        // the HTTP server resolves a path of dots before any route sees it (to the console at /): nothing forwarded
        for (String dots : List.of("/lineage/..", "/lineage/%2e%2e", "/lineage/.")) {
            get(dots, "X-API-Key", "fpk_caller");
        }
        assertThat(seen.poll(300, TimeUnit.MILLISECONDS)).as("nothing forwarded for dots").isNull();
    }

    @Test
    void aRagServiceThatDoesNotAnswerIsA503WithRetryAfterAndNoInternals() {
        rag.stop(0);
        rag = null;

        Response r = post("/search", "{\"query\":\"q\"}", "X-API-Key", "fpk_caller");

        assertThat(r.status()).isEqualTo(503);
        assertThat(r.json()).containsEntry("error", "unavailable");
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(r.body()).doesNotContain("127.0.0.1", "Exception", String.valueOf(RAG_PORT));
    }
}
