package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local server that speaks OpenAI's documented chat completions API (POST /v1/chat/completions), for the pipeline
 * in another process to call with LLM_PROVIDER=openai. It counts every call, and the calls per document marker
 * ({@code DOC-<n>} in the prompt), so a test can say how often each record was paid for. A failure plan may answer
 * an error status (with Retry-After on 429) instead of a completion.
 */
public final class OpenAiStandIn implements AutoCloseable {

    private static final Pattern MARKER = Pattern.compile("DOC-\\d+");

    private volatile HttpServer server;
    private final int port;
    private final long delayMillis;
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger completions = new AtomicInteger();
    private final Map<String, AtomicInteger> callsPerMarker = new ConcurrentHashMap<>();
    /** The status to answer instead of a completion for a call (by its number from 1), or null for a completion. */
    private volatile Function<Integer, Integer> failurePlan = n -> null;

    public OpenAiStandIn(long delayMillis) {
        this.delayMillis = delayMillis;
        this.server = listen(0);
        this.port = server.getAddress().getPort();
    }

    private HttpServer listen(int onPort) {
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress("127.0.0.1", onPort), 128);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        s.setExecutor(Executors.newFixedThreadPool(16));
        s.createContext("/v1/chat/completions", this::handle);
        s.start();
        return s;
    }

    /** The server goes away: every call is refused at the socket (as while Ollama or vLLM restarts). */
    public void down() {
        server.stop(0);
    }

    /** The server is back on the same port. */
    public void up() {
        server = listen(port);
    }

    /** The provider variables of the pipeline process that calls this stand-in. */
    public Map<String, String> env() {
        return Map.of("LLM_PROVIDER", "openai", "OPENAI_BASE_URL", baseUrl(), "OPENAI_API_KEY", "stand-in-key",
                "OPENAI_MODEL", "gpt-stand-in");
    }

    /**
     * The provider properties of an application in this JVM that calls this stand-in, with the analysis consumer group
     * and inference topic of the test class (suffix) so that classes do not read each other's records.
     */
    public void configure(java.util.Properties p, String suffix) {
        p.put("pipeline.llm.provider", "openai");
        p.put("pipeline.llm.openai.base-url", baseUrl());
        p.put("pipeline.llm.openai.api-key", "stand-in-key");
        p.put("pipeline.llm.openai.model", "gpt-stand-in");
        p.put("pipeline.llm.analysis-group", "llm-analysis-" + suffix);
        p.put("pipeline.kafka.inference-topic", "inference-" + suffix);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port + "/v1";
    }

    public void failWith(Function<Integer, Integer> plan) {
        this.failurePlan = plan;
    }

    public int calls() {
        return calls.get();
    }

    public int completions() {
        return completions.get();
    }

    /** The calls whose prompt held this marker. */
    public int callsFor(String marker) {
        AtomicInteger n = callsPerMarker.get(marker);
        return n == null ? 0 : n.get();
    }

    public Map<String, AtomicInteger> callsPerMarker() {
        return callsPerMarker;
    }

    private void handle(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        int n = calls.incrementAndGet();
        Matcher m = MARKER.matcher(body);
        if (m.find()) {
            callsPerMarker.computeIfAbsent(m.group(), k -> new AtomicInteger()).incrementAndGet();
        }
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Integer failure = failurePlan.apply(n);
        String answer;
        if (failure != null) {
            answer = "{\"error\":{\"message\":\"stand-in says " + failure + "\",\"type\":\"server_error\"}}";
            if (failure == 429) {
                ex.getResponseHeaders().add("Retry-After", "1");
            }
        } else {
            completions.incrementAndGet();
            answer = "{\"id\":\"chatcmpl-" + n + "\",\"object\":\"chat.completion\",\"created\":1764000000,"
                    + "\"model\":\"gpt-stand-in\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"Stand-in analysis " + n + " [1]\"},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,\"total_tokens\":15}}";
        }
        byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(failure != null ? failure : 200, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
