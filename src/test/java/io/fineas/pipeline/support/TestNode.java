package io.fineas.pipeline.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.network.Envelopes;
import io.fineas.pipeline.network.NodeKeys;
import io.fineas.pipeline.network.Normaliser;

/**
 * A node as a test stand-in: it speaks the network's protocol (a key of its own, signed join, signed polls, signed
 * submissions) with Java's HTTP client, and captures as it is told: honestly (fetch, submit what it got), lying
 * (fetch, then alter the content and sign the altered content), or fabricating (submit without fetching).
 */
public final class TestNode {

    private static final ObjectMapper JSON = new ObjectMapper();

    public final NodeKeys keys = NodeKeys.generate();
    public final String operator;
    private final String gateway;
    private final UnaryOperator<String> behaviour;
    private final boolean fetches;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestNode(String gateway, String operator, UnaryOperator<String> behaviour, boolean fetches) {
        this.gateway = gateway;
        this.operator = operator;
        this.behaviour = behaviour;
        this.fetches = fetches;
    }

    public static TestNode honest(String gateway, String operator) {
        return new TestNode(gateway, operator, UnaryOperator.identity(), true);
    }

    /** Fetches, then replaces every "rose" with "fell" (and adds a line when there is none) before it signs. */
    public static TestNode liar(String gateway, String operator) {
        return new TestNode(gateway, operator, c -> c.contains("rose") ? c.replace("rose", "fell")
                : c + "\nBuy now.", true);
    }

    /** Submits a made-up page without fetching anything. */
    public static TestNode fabricator(String gateway, String operator) {
        return new TestNode(gateway, operator, c -> "<html><body><p>Nothing happened.</p></body></html>", false);
    }

    public String id() {
        return keys.nodeId();
    }

    public HttpResponse<String> send(String method, String path, Object body, String... headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofSeconds(40));
            for (int i = 0; i < headers.length; i += 2) {
                b.header(headers[i], headers[i + 1]);
            }
            String json = body == null ? null : body instanceof String s ? s : JSON.writeValueAsString(body);
            b.method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json));
            if (json != null) {
                b.header("Content-Type", "application/json");
            }
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The join request, signed over a fresh challenge. */
    public Map<String, Object> joinRequest() {
        String challenge = (String) parse(send("POST", "/nodes/challenge", null).body()).get("challenge");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("public_key", keys.publicKey());
        body.put("operator", operator);
        body.put("contact", operator.toLowerCase().replace(' ', '-') + "@example.org");
        body.put("challenge", challenge);
        body.put("signature", keys.sign(Envelopes.join(challenge, keys.publicKey(), operator,
                (String) body.get("contact"))));
        return body;
    }

    public HttpResponse<String> join() {
        return send("POST", "/nodes/join", joinRequest());
    }

    /** The signed headers of GET /node/tasks (time and nonce as given). */
    public String[] pollHeaders(String time, String nonce) {
        return new String[] {"X-Node-Id", id(), "X-Node-Time", time, "X-Node-Nonce", nonce, "X-Node-Signature",
                keys.sign(Envelopes.request("GET", "/node/tasks", id(), time, nonce))};
    }

    public HttpResponse<String> pollResponse(int waitSeconds) {
        return send("GET", "/node/tasks?max=50&wait=" + waitSeconds, null,
                pollHeaders(Long.toString(System.currentTimeMillis()), NodeKeys.nonce()));
    }

    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> poll(int waitSeconds) {
        HttpResponse<String> r = pollResponse(waitSeconds);
        if (r.statusCode() != 200) {
            throw new AssertionError("poll of " + id() + ": " + r.statusCode() + " " + r.body());
        }
        return (List<Map<String, Object>>) parse(r.body()).get("tasks");
    }

    /** A capture: the content and its type. */
    public record Capture(String content, String contentType) {
    }

    /** What this node captures for a task: fetched or made up, then its behaviour applied. */
    public Capture capture(Map<String, Object> task) {
        if (!fetches) {
            return new Capture(behaviour.apply(""), "text/html");
        }
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create((String) task.get("url"))).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return new Capture(behaviour.apply(r.body()), r.headers().firstValue("Content-Type").orElse(null));
    }

    /** A signed submission of the content for the task. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> submission(Map<String, Object> task, String content, String contentType) {
        Normaliser n = JSON.convertValue(task.get("normaliser"), Normaliser.class);
        String hash = (n == null ? Normaliser.DEFAULT : n).hash(content, contentType);
        String at = Instant.now().toString();
        String nonce = NodeKeys.nonce();
        Map<String, Object> item = (Map<String, Object>) task.get("item");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task_id", task.get("task_id"));
        body.put("item", item);
        body.put("content_hash", hash);
        body.put("captured_at", at);
        body.put("node_id", id());
        body.put("nonce", nonce);
        body.put("signature", keys.sign(Envelopes.submission((String) task.get("task_id"), item, hash, at, id(),
                nonce)));
        body.put("content_type", contentType);
        body.put("content", content);
        return body;
    }

    public HttpResponse<String> submit(Map<String, Object> submission) {
        return send("POST", "/node/submissions", submission);
    }

    /** One round: poll without waiting, capture and submit every task given. Returns how many were submitted. */
    public int work() {
        int n = 0;
        for (Map<String, Object> task : poll(0)) {
            Capture c = capture(task);
            HttpResponse<String> r = submit(submission(task, c.content(), c.contentType()));
            if (r.statusCode() != 202) {
                throw new AssertionError("submission of " + id() + ": " + r.statusCode() + " " + r.body());
            }
            n++;
        }
        return n;
    }

    public static Map<String, Object> parse(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + json, e);
        }
    }
}
