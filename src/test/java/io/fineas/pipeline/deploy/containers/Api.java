package io.fineas.pipeline.deploy.containers;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The pipeline's HTTP API at a published port, as a user's client reaches it from the host. */
final class Api {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String key;

    Api(String base, String key) {
        this.base = base;
        this.key = key;
    }

    Api withKey(String other) {
        return new Api(base, other);
    }

    /** The JSON answer with its status under "status"; status -1 when nothing answers. */
    Map<String, Object> call(String method, String path, Object body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                    .header("X-API-Key", key).header("Content-Type", "application/json");
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, Object> out = new LinkedHashMap<>();
            if (r.body().trim().startsWith("{")) {
                out.putAll(JSON.readValue(r.body(), new TypeReference<Map<String, Object>>() {
                }));
            } else {
                out.put("body", r.body());
            }
            // the HTTP status (a health answer's own "status" field gives way to it)
            out.put("status", r.statusCode());
            return out;
        } catch (IOException e) {
            return new LinkedHashMap<>(Map.of("status", -1, "error", String.valueOf(e)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    int status(String path) {
        return (Integer) call("GET", path, null).get("status");
    }

    @SuppressWarnings("unchecked")
    String collect(String topic, String segment) {
        Map<String, Object> accepted = call("POST", "/collect", List.of(Map.of("topic", topic,
                "segment_targets", List.of(segment))));
        if (!Integer.valueOf(202).equals(accepted.get("status"))) {
            throw new AssertionError("POST /collect: " + accepted);
        }
        return (String) ((List<Map<String, Object>>) accepted.get("runs")).get(0).get("run_id");
    }

    /** A topic and its segments, created (201 each, or the answer is the failure). */
    void create(String topic, String... segments) {
        expect(201, call("POST", "/topics", Map.of("topic", topic, "topic_action", "create")));
        for (String segment : segments) {
            expect(201, call("POST", "/segments", Map.of("topic", topic, "segment", segment,
                    "segment_action", "create")));
        }
    }

    private static void expect(int status, Map<String, Object> answer) {
        if (!Integer.valueOf(status).equals(answer.get("status"))) {
            throw new AssertionError("expected " + status + ", got " + answer);
        }
    }

    /** A processor's summary of a run, null until it reported. */
    @SuppressWarnings("unchecked")
    Map<String, Object> summary(String runId, String processor) {
        Map<String, Object> processors = (Map<String, Object>) call("GET", "/runs/" + runId, null).get("processors");
        return processors == null ? null : (Map<String, Object>) processors.get(processor);
    }

    long inferences(String topic, String segment) {
        Object total = call("GET", "/topics/" + topic + "/segments/" + segment + "/inferences?size=1", null)
                .get("total");
        return total == null ? -1 : ((Number) total).longValue();
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
