package io.fineas.pipeline.network;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Message;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The nodes of the open capture network, in MongoDB (collection {@code nodes}), so that every gateway replica and the
 * processors see the same: enrollment (a challenge the node signs with its key), approval and revocation by an admin,
 * the signed requests of a node (its key, a fresh time and a nonce never seen before), and each node's standing:
 * credibility, a moving average of its results ({@code weight x result + (1 - weight) x previous}: 1 for a task it
 * agreed on, 0 for one it disputed or let lapse), and its ledger (tasks, bytes, agreements, disputes, silences).
 * A node below the credibility threshold, or caught fabricating a canary, is given no tasks.
 */
public final class NodeRegistry {

    /** The node's standing as an outcome of one task. */
    public enum Outcome {
        AGREED, DISPUTED, SILENT, CANARY_PASSED, CANARY_FAILED
    }

    /** Enrollment: approval (an admin approves each node) or open (a node that proves its key is approved). */
    public enum Enrollment {
        APPROVAL, OPEN
    }

    private static final Pattern NONCE = Pattern.compile("^[A-Za-z0-9_-]{16,64}$");
    private static final Pattern NODE_ID = Pattern.compile("^node-[0-9a-f]{16}$");
    private static final Duration CHALLENGE_TTL = Duration.ofMinutes(5);
    /** How far a node's clock may be from the gateway's; a nonce is remembered for twice as long. */
    static final Duration SKEW = Duration.ofMinutes(5);

    private final MongoCollection<Document> nodes;
    private final MongoCollection<Document> challenges;
    private final MongoCollection<Document> nonces;
    private final MongoCollection<Document> tasks;
    private final Enrollment enrollment;
    private final double start;
    private final double threshold;
    private final double weight;

    public NodeRegistry(MongoCollection<Document> nodes, MongoCollection<Document> challenges,
            MongoCollection<Document> nonces, MongoCollection<Document> tasks, Enrollment enrollment, double start,
            double threshold, double weight) {
        this.nodes = nodes;
        this.challenges = challenges;
        this.nonces = nonces;
        this.tasks = tasks;
        this.enrollment = enrollment;
        this.start = start;
        this.threshold = threshold;
        this.weight = weight;
    }

    // --- enrollment

    /** A challenge for a node that wants to join, valid for 5 minutes and once. */
    public Map<String, Object> challenge() {
        String challenge = NodeKeys.nonce() + NodeKeys.nonce();
        long expires = System.currentTimeMillis() + CHALLENGE_TTL.toMillis();
        challenges.insertOne(new Document("_id", challenge).append("expires_at", expires));
        challenges.deleteMany(Filters.lt("expires_at", System.currentTimeMillis()));
        return Map.of("challenge", challenge, "expires_at", Instant.ofEpochMilli(expires).toString());
    }

    /**
     * A node joins with its public key, its operator's name and contact, and its signature over the challenge: 201
     * with its id and status (pending, or approved when enrollment is open). The challenge is used up.
     */
    public Map<String, Object> join(@Body Map<String, Object> request) {
        String publicKey = (String) request.get("public_key");
        String operator = ((String) request.get("operator")).strip();
        String contact = ((String) request.get("contact")).strip();
        String challenge = (String) request.get("challenge");
        try {
            NodeKeys.publicKey(publicKey);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("public_key is not an Ed25519 public key (32 bytes, base64url)");
        }
        if (!NodeKeys.verify(publicKey, Envelopes.join(challenge, publicKey, (String) request.get("operator"),
                (String) request.get("contact")), (String) request.get("signature"))) {
            throw ApiException.unauthorized("the signature is not the public key's over the challenge");
        }
        if (challenges.deleteOne(Filters.and(Filters.eq("_id", challenge),
                Filters.gt("expires_at", System.currentTimeMillis()))).getDeletedCount() == 0) {
            throw ApiException.unauthorized("the challenge is unknown, used or expired: ask POST /nodes/challenge");
        }
        String id = NodeKeys.nodeId(publicKey);
        String status = enrollment == Enrollment.OPEN ? "approved" : "pending";
        String now = Instant.now().toString();
        try {
            nodes.insertOne(new Document("_id", id).append("public_key", publicKey).append("operator", operator)
                    .append("contact", contact).append("status", status).append("joined_at", now)
                    .append("credibility", start).append("tasks", 0L).append("bytes", 0L).append("agreements", 0L)
                    .append("disputes", 0L).append("silences", 0L).append("canaries_passed", 0L)
                    .append("canaries_failed", 0L));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw ApiException.conflict("this key has joined already as " + id + " ("
                        + nodes.find(Filters.eq("_id", id)).first().getString("status") + ")");
            }
            throw e;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("node_id", id);
        out.put("status", status);
        return out;
    }

    public Map<String, Object> approve(@Header("id") String id) {
        Document node = existing(id);
        if ("revoked".equals(node.getString("status"))) {
            throw ApiException.conflict("node " + id + " was revoked: it joins again with a new key");
        }
        nodes.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "approved"),
                Updates.set("approved_at", Instant.now().toString())));
        return view(nodes.find(Filters.eq("_id", id)).first());
    }

    /** Revoked: refused at once by every gateway replica (each request reads the node's status). */
    public Map<String, Object> revoke(@Header("id") String id) {
        existing(id);
        nodes.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "revoked"),
                Updates.set("revoked_at", Instant.now().toString())));
        return view(nodes.find(Filters.eq("_id", id)).first());
    }

    // --- what admins see: GET /nodes, GET /nodes/{id}, the ledger export

    public List<Map<String, Object>> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        nodes.find().sort(Sorts.ascending("joined_at")).forEach(d -> out.add(view(d)));
        return out;
    }

    /** One node with its ledger; a node caught by a canary lists the tasks it agreed on, for review. */
    public Map<String, Object> get(@Header("id") String id) {
        Map<String, Object> view = view(existing(id));
        if (view.get("flagged") != null) {
            List<Map<String, Object>> review = new ArrayList<>();
            tasks.find(Filters.eq("agreed_by", id)).forEach(t -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("task_id", t.getString("_id"));
                r.put("topic", t.getString("topic"));
                r.put("url", t.getString("url"));
                r.put("settled_at", t.getString("settled_at"));
                review.add(r);
            });
            view.put("review", review);
        }
        return view;
    }

    /** The ledger as CSV: one line per node, the basis for paying operators. */
    public String ledgerCsv() {
        StringBuilder csv = new StringBuilder(
                "node_id,operator,status,credibility,tasks,bytes,agreements,disputes,silences,canaries_failed\n");
        for (Map<String, Object> n : list()) {
            csv.append(String.join(",", List.of(String.valueOf(n.get("node_id")), csvField(n.get("operator")),
                    String.valueOf(n.get("status")), String.valueOf(n.get("credibility")),
                    String.valueOf(n.get("tasks")), String.valueOf(n.get("bytes")),
                    String.valueOf(n.get("agreements")), String.valueOf(n.get("disputes")),
                    String.valueOf(n.get("silences")), String.valueOf(n.get("canaries_failed"))))).append('\n');
        }
        return csv.toString();
    }

    private static String csvField(Object value) {
        String s = String.valueOf(value);
        // a spreadsheet runs a cell that starts with = + - @ as a formula: quoted with a leading apostrophe
        if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
            s = "'" + s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    private Map<String, Object> view(Document d) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("node_id", d.getString("_id"));
        for (String f : List.of("operator", "contact", "status", "public_key", "joined_at", "approved_at",
                "revoked_at", "credibility", "tasks", "bytes", "agreements", "disputes", "silences",
                "canaries_passed", "canaries_failed", "flagged")) {
            if (d.get(f) != null) {
                v.put(f, d.get(f));
            }
        }
        v.put("receives_tasks", standing(d) == null);
        String why = standing(d);
        if (why != null) {
            v.put("why_no_tasks", why);
        }
        return v;
    }

    /** Why the node is given no tasks, or null when it is. */
    private String standing(Document d) {
        if (!"approved".equals(d.getString("status"))) {
            return "the node is " + d.getString("status");
        }
        if (d.get("flagged") != null) {
            return "it failed a canary";
        }
        if (d.get("credibility") instanceof Number c && c.doubleValue() < threshold) {
            return "its credibility is below " + threshold;
        }
        return null;
    }

    private Document existing(String id) {
        Document d = id == null || !NODE_ID.matcher(id).matches() ? null : nodes.find(Filters.eq("_id", id)).first();
        if (d == null) {
            throw ApiException.notFound("no node '" + (id == null ? "" : id) + "'");
        }
        return d;
    }

    // --- the nodes' own requests

    /**
     * The node a signed request comes from (X-Node-Id, X-Node-Time, X-Node-Nonce, X-Node-Signature over
     * {@link Envelopes#request}): its key signed it, its time is within 5 minutes, the nonce is new (remembered), it is
     * approved. Refused with 401 (unsigned, bad signature, unknown node, stale time), 403 (pending, revoked) or 409
     * (a nonce used before).
     */
    public Document authenticate(Message in) {
        String id = in.getHeader("X-Node-Id", String.class);
        String time = in.getHeader("X-Node-Time", String.class);
        String nonce = in.getHeader("X-Node-Nonce", String.class);
        String signature = in.getHeader("X-Node-Signature", String.class);
        String method = in.getHeader("CamelHttpMethod", String.class);
        String path = in.getHeader("CamelHttpPath", String.class);
        if (id == null || time == null || nonce == null || signature == null) {
            throw ApiException.unauthorized("a node request is signed: X-Node-Id, X-Node-Time, X-Node-Nonce and "
                    + "X-Node-Signature are required");
        }
        Document node = signer(id);
        if (!NodeKeys.verify(node.getString("public_key"), Envelopes.request(method, path, id, time, nonce),
                signature)) {
            throw ApiException.unauthorized("the signature is not node " + id + "'s over this request");
        }
        fresh(time);
        usable(node);
        useNonce(id, nonce);
        return node;
    }

    /** The node that claims to sign: known, its id well formed; else 401. */
    Document signer(String id) {
        Document node = id == null || !NODE_ID.matcher(id).matches() ? null : nodes.find(Filters.eq("_id", id)).first();
        if (node == null) {
            throw ApiException.unauthorized("unknown node '" + (id == null ? "" : id) + "': join first");
        }
        return node;
    }

    /** An approved node: pending and revoked ones are refused (403). */
    void usable(Document node) {
        String status = node.getString("status");
        if (!"approved".equals(status)) {
            throw ApiException.forbidden("node " + node.getString("_id") + " is " + status);
        }
    }

    static void fresh(String time) {
        long t;
        try {
            t = Long.parseLong(time);
        } catch (NumberFormatException e) {
            throw ApiException.unauthorized("X-Node-Time is milliseconds since the epoch");
        }
        if (Math.abs(System.currentTimeMillis() - t) > SKEW.toMillis()) {
            throw ApiException.unauthorized("the request's time is more than " + SKEW.toMinutes()
                    + " minutes from the gateway's: check the node's clock");
        }
    }

    /** Remembers a nonce of the node; one used before is a replay (409). */
    void useNonce(String nodeId, String nonce) {
        if (nonce == null || !NONCE.matcher(nonce).matches()) {
            throw ApiException.badRequest("a nonce is 16 to 64 base64url characters");
        }
        try {
            nonces.insertOne(new Document("_id", nodeId + ":" + nonce).append("at", System.currentTimeMillis()));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw new ApiException(409, "replayed", "this nonce was used before: a request is accepted once");
            }
            throw e;
        }
    }

    /** Forgets nonces older than twice the clock skew: a request that old is refused by its time. */
    public void forgetOldNonces() {
        nonces.deleteMany(Filters.lt("at", System.currentTimeMillis() - 2 * SKEW.toMillis()));
    }

    // --- standing

    /** The nodes that may be given tasks now. */
    public List<Assignment.Candidate> eligible() {
        List<Assignment.Candidate> out = new ArrayList<>();
        nodes.find(Filters.eq("status", "approved")).forEach(d -> {
            if (standing(d) == null) {
                out.add(new Assignment.Candidate(d.getString("_id"), d.getString("operator")));
            }
        });
        return out;
    }

    /**
     * Records one task's outcome for a node: its ledger and its credibility. A failed canary sets credibility to 0
     * and flags the node (no more tasks; its agreements listed for review).
     */
    public void record(String nodeId, Outcome outcome, long bytes) {
        List<Bson> updates = new ArrayList<>();
        updates.add(Updates.inc("tasks", 1L));
        updates.add(Updates.inc("bytes", bytes));
        switch (outcome) {
            case AGREED -> updates.add(Updates.inc("agreements", 1L));
            case DISPUTED -> updates.add(Updates.inc("disputes", 1L));
            case SILENT -> updates.add(Updates.inc("silences", 1L));
            case CANARY_PASSED -> updates.add(Updates.inc("canaries_passed", 1L));
            case CANARY_FAILED -> {
                updates.add(Updates.inc("canaries_failed", 1L));
                updates.add(Updates.set("flagged", "fabricated a canary's content at " + Instant.now()));
                updates.add(Updates.set("credibility", 0.0));
            }
        }
        if (outcome != Outcome.CANARY_FAILED) {
            double result = outcome == Outcome.AGREED || outcome == Outcome.CANARY_PASSED ? 1.0 : 0.0;
            // read, then written only if unchanged since: two outcomes of one node at once both count
            for (int attempt = 0; attempt < 20; attempt++) {
                Document d = nodes.find(Filters.eq("_id", nodeId)).first();
                if (d == null) {
                    return;
                }
                double previous = d.get("credibility") instanceof Number n ? n.doubleValue() : start;
                double next = Math.round((weight * result + (1 - weight) * previous) * 1e6) / 1e6;
                List<Bson> all = new ArrayList<>(updates);
                all.add(Updates.set("credibility", next));
                if (nodes.updateOne(Filters.and(Filters.eq("_id", nodeId), Filters.eq("credibility", previous)),
                        Updates.combine(all)).getModifiedCount() > 0) {
                    return;
                }
            }
        }
        nodes.updateOne(Filters.eq("_id", nodeId), Updates.combine(updates));
    }
}
