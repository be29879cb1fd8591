package io.fineas.pipeline.network;

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

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's conversation with its network's gateway, the only party it speaks to: it joins (signs the gateway's
 * challenge), long-polls for the tasks chosen for it and submits each capture with its signature over the envelope.
 * Every request is signed with the node's key; the node holds no API key. Java's HTTP client rather than a Camel
 * endpoint because each request is signed over its exact bytes; the captures themselves go through the node's
 * guarded Camel HTTP endpoint (routes/node).
 */
public final class NodeClient {

    private static final Logger LOG = LoggerFactory.getLogger(NodeClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI gateway;
    private final NodeKeys keys;
    private final String operator;
    private final String contact;
    private final int max;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private volatile boolean joined;
    private volatile String lastState = "";

    public NodeClient(String gatewayUrl, NodeKeys keys, String operator, String contact, int max) {
        this.gateway = URI.create(gatewayUrl.endsWith("/") ? gatewayUrl.substring(0, gatewayUrl.length() - 1)
                : gatewayUrl);
        this.keys = keys;
        this.operator = operator;
        this.contact = contact;
        this.max = max;
    }

    public String nodeId() {
        return keys.nodeId();
    }

    /** Joins the network (once; a key that joined before is told so with 409, which is fine). */
    public void join() throws IOException, InterruptedException {
        HttpResponse<String> c = http.send(HttpRequest.newBuilder(gateway.resolve("/nodes/challenge"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (c.statusCode() != 201) {
            throw new IOException("POST /nodes/challenge answered " + c.statusCode() + ": " + c.body());
        }
        String challenge = (String) JSON.readValue(c.body(), Map.class).get("challenge");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("public_key", keys.publicKey());
        body.put("operator", operator);
        body.put("contact", contact);
        body.put("challenge", challenge);
        body.put("signature", keys.sign(Envelopes.join(challenge, keys.publicKey(), operator, contact)));
        HttpResponse<String> j = http.send(HttpRequest.newBuilder(gateway.resolve("/nodes/join"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (j.statusCode() != 201 && j.statusCode() != 409) {
            throw new IOException("POST /nodes/join answered " + j.statusCode() + ": " + j.body());
        }
        joined = true;
        LOG.info("Node {} joined the network at {} ({})", keys.nodeId(), gateway, j.body());
    }

    /**
     * One long poll for this node's tasks (waiting up to 20 s at the gateway). Not joined yet: joins first. Pending
     * approval, revoked or unreachable: says so once and waits a while before the next poll; nothing is lost, the
     * gateway leases tasks to nodes that ask.
     */
    public List<Map<String, Object>> poll() throws InterruptedException {
        try {
            if (!joined) {
                join();
            }
            String time = Long.toString(System.currentTimeMillis());
            String nonce = NodeKeys.nonce();
            String path = "/node/tasks";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.resolve(path + "?max=" + max + "&wait=20"))
                    .timeout(Duration.ofSeconds(40)).header("X-Node-Id", keys.nodeId()).header("X-Node-Time", time)
                    .header("X-Node-Nonce", nonce)
                    .header("X-Node-Signature", keys.sign(Envelopes.request("GET", path, keys.nodeId(), time, nonce)))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                state("receiving tasks");
                Map<String, List<Map<String, Object>>> answer = JSON.readValue(r.body(),
                        new TypeReference<Map<String, List<Map<String, Object>>>>() {
                        });
                return answer.getOrDefault("tasks", List.of());
            }
            if (r.statusCode() == 401 && r.body().contains("join first")) {
                joined = false;
            }
            state("GET /node/tasks answered " + r.statusCode() + ": " + r.body());
        } catch (IOException e) {
            state("the gateway at " + gateway + " does not answer: " + e);
        }
        Thread.sleep(5000);
        return List.of();
    }

    private void state(String now) {
        if (!now.equals(lastState)) {
            lastState = now;
            LOG.info("Node {}: {}", keys.nodeId(), now);
        }
    }

    /** Submits the capture of a task: the content, its normalised hash and the node's signature over the envelope. */
    @SuppressWarnings("unchecked")
    public int submit(@Variable("task") Map<String, Object> task, @Body String content,
            @Header("Content-Type") String contentType) throws IOException, InterruptedException {
        Normaliser normaliser = JSON.convertValue(task.get("normaliser"), Normaliser.class);
        if (normaliser == null) {
            normaliser = Normaliser.DEFAULT;
        }
        String taskId = (String) task.get("task_id");
        Map<String, Object> item = (Map<String, Object>) task.get("item");
        String hash = normaliser.hash(content, contentType);
        String capturedAt = Instant.now().toString();
        String nonce = NodeKeys.nonce();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("task_id", taskId);
        body.put("item", item);
        body.put("content_hash", hash);
        body.put("captured_at", capturedAt);
        body.put("node_id", keys.nodeId());
        body.put("nonce", nonce);
        body.put("signature", keys.sign(Envelopes.submission(taskId, item, hash, capturedAt, keys.nodeId(), nonce)));
        if (contentType != null) {
            body.put("content_type", contentType);
        }
        body.put("content", content);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(gateway.resolve("/node/submissions"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 202) {
            LOG.warn("Node {}: submission of task {} refused ({}): {}", keys.nodeId(), taskId, r.statusCode(), r.body());
        }
        return r.statusCode();
    }
}
