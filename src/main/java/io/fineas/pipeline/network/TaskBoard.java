package io.fineas.pipeline.network;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.NodeSubmission;
import io.fineas.pipeline.messages.NodeTask;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.apache.camel.language.simple.Simple;
import org.bson.Document;

/**
 * The gateway's side of the network's tasks, in MongoDB (shared by every gateway replica): the tasks the processors
 * dispatched ({@code node_tasks}, from Kafka's node.tasks), the leases that give one to a node for a while
 * ({@code node_leases}), and the checks a submission passes before it goes to the agreement. A task goes to the nodes
 * {@link Assignment} chooses among the eligible ones, less those that let a lease on it lapse (silent), with no more
 * than {@code replicas} leases held or used at once and no two nodes of one operator.
 */
public final class TaskBoard {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern TASK_ID = Pattern.compile("^[0-9a-f]{32}$");
    /** The most tasks one poll scans for the node (the oldest open ones first). */
    private static final int SCAN = 500;

    private final MongoCollection<Document> tasks;
    private final MongoCollection<Document> leases;
    private final NodeRegistry registry;

    public TaskBoard(MongoCollection<Document> tasks, MongoCollection<Document> leases, NodeRegistry registry) {
        this.tasks = tasks;
        this.leases = leases;
        this.registry = registry;
    }

    /** A dispatched task becomes open for nodes; dispatched again (a run polled again), it is left as it is. */
    public void open(@Body NodeTask task) throws JsonProcessingException {
        try {
            tasks.insertOne(new Document("_id", task.taskId()).append("task", JSON.writeValueAsString(task))
                    .append("state", "open").append("topic", task.topic()).append("url", task.url())
                    .append("processor_id", task.processorId()).append("replicas", task.replicas())
                    .append("lease_ms", task.leaseMs()).append("dispatched_ms", dispatchedAt(task))
                    .append("deadline_at", task.deadlineAt()).append("dispatched_at", task.dispatchedAt()));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
    }

    /** One long poll of a node: what it may see of each task it holds a lease on. */
    public final class Poll {
        private final String nodeId;
        private final int max;
        private final long until;

        Poll(String nodeId, int max, long waitMs) {
            this.nodeId = nodeId;
            this.max = max;
            this.until = System.currentTimeMillis() + waitMs;
        }

        public List<Map<String, Object>> next() throws JsonProcessingException {
            return lease(nodeId, max);
        }

        /** Whether the poll may wait for more (nothing found yet, time left). */
        public boolean waiting() {
            return System.currentTimeMillis() < until;
        }
    }

    /** A long poll for the signed-in node: up to {@code max} tasks, waiting up to {@code waitSeconds} (at most 25). */
    public Poll poll(@Variable("node") Document node, @Header("max") String max, @Header("wait") String waitSeconds) {
        int m = Math.max(1, Math.min(50, whole("max", max, 10)));
        int w = Math.max(0, Math.min(25, whole("wait", waitSeconds, 20)));
        return new Poll(node.getString("_id"), m, w * 1000L);
    }

    private static int whole(String name, String value, int otherwise) {
        if (value == null || value.isBlank()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " is a whole number");
        }
    }

    /** The answer of GET /node/tasks. */
    public Map<String, Object> answer(@Body List<Map<String, Object>> leased) {
        return Map.of("tasks", leased);
    }

    /**
     * Leases the node the tasks chosen for it (and those it holds already), as the node may see them. The open tasks are
     * read first (nothing open, the usual case of a long poll, costs one query); a task's JSON is parsed only for the
     * tasks the node gets.
     */
    List<Map<String, Object>> lease(String nodeId, int max) throws JsonProcessingException {
        List<Map<String, Object>> out = new ArrayList<>();
        long now = System.currentTimeMillis();
        List<Document> open = new ArrayList<>();
        tasks.find(Filters.and(Filters.eq("state", "open"), Filters.gt("deadline_at", now)))
                .sort(Sorts.ascending("dispatched_at")).limit(SCAN).into(open);
        if (open.isEmpty()) {
            return out;
        }
        List<Assignment.Candidate> eligible = registry.eligible();
        Assignment.Candidate me = eligible.stream().filter(c -> c.nodeId().equals(nodeId)).findFirst().orElse(null);
        if (me == null) {
            return out;
        }
        Map<String, List<Document>> byTask = new HashMap<>();
        leases.find(Filters.in("task_id", open.stream().map(d -> d.getString("_id")).toList()))
                .forEach(l -> byTask.computeIfAbsent(l.getString("task_id"), k -> new ArrayList<>()).add(l));
        for (Document t : open) {
            if (out.size() >= max) {
                break;
            }
            String taskId = t.getString("_id");
            List<Document> held = byTask.getOrDefault(taskId, List.of());
            Document mine = held.stream().filter(l -> nodeId.equals(l.getString("node_id"))).findFirst().orElse(null);
            if (mine != null) {
                if (!mine.getBoolean("submitted", false) && mine.getLong("lease_until") > now) {
                    out.add(visible(task(t), mine.getLong("lease_until")));
                }
                continue;
            }
            Shape shape = Shape.of(t);
            List<String> silent = new ArrayList<>();
            int inUse = 0;
            boolean sameOperator = false;
            for (Document l : held) {
                boolean lapsed = !l.getBoolean("submitted", false) && l.getLong("lease_until") <= now;
                if (lapsed) {
                    silent.add(l.getString("node_id"));
                } else {
                    inUse++;
                    sameOperator |= Assignment.operatorKey(l.getString("operator"))
                            .equals(Assignment.operatorKey(me.operator()));
                }
            }
            if (inUse >= shape.replicas() || sameOperator) {
                continue;
            }
            // a task older than a lease is no longer waiting for a chosen node that never came to take it (a node
            // that stopped without leaving): it goes to whoever asks, in the same order
            boolean overdue = now - shape.dispatchedMs() > shape.leaseMs();
            Set<String> holders = new HashSet<>();
            held.forEach(l -> holders.add(l.getString("node_id")));
            List<Assignment.Candidate> candidates = eligible.stream().filter(c -> !silent.contains(c.nodeId()))
                    .filter(c -> !overdue || c.nodeId().equals(nodeId) || holders.contains(c.nodeId())).toList();
            if (Assignment.choose(taskId, candidates, shape.replicas()).stream()
                    .noneMatch(c -> c.nodeId().equals(nodeId))) {
                continue;
            }
            long until = Math.min(now + shape.leaseMs(), t.getLong("deadline_at"));
            try {
                leases.insertOne(new Document("_id", taskId + "/" + nodeId).append("task_id", taskId)
                        .append("node_id", nodeId).append("operator", me.operator()).append("leased_at", now)
                        .append("lease_until", until).append("submitted", false));
                out.add(visible(task(t), until));
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
            }
        }
        return out;
    }

    private static NodeTask task(Document t) throws JsonProcessingException {
        return JSON.readValue(t.getString("task"), NodeTask.class);
    }

    /** What the lease decision needs of a task, from its stored fields (or its JSON, for a task stored without them). */
    private record Shape(int replicas, long leaseMs, long dispatchedMs) {
        static Shape of(Document t) throws JsonProcessingException {
            if (t.get("replicas") instanceof Number r && t.get("lease_ms") instanceof Number l
                    && t.get("dispatched_ms") instanceof Number d) {
                return new Shape(r.intValue(), l.longValue(), d.longValue());
            }
            NodeTask task = task(t);
            return new Shape(task.replicas(), task.leaseMs(), dispatchedAt(task));
        }
    }

    private static long dispatchedAt(NodeTask task) {
        try {
            return Instant.parse(task.dispatchedAt()).toEpochMilli();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** What a node sees of a task: never its processor, topic, run, the other items, or whether it is a canary. */
    private static Map<String, Object> visible(NodeTask task, long leaseUntil) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("task_id", task.taskId());
        v.put("url", task.url());
        v.put("item", task.item());
        v.put("normaliser", task.normaliser());
        v.put("max_bytes", task.maxBytes());
        v.put("lease_until", Instant.ofEpochMilli(leaseUntil).toString());
        return v;
    }

    /**
     * A node's submission, checked in full before anything changes: the node is known and approved, the signature is
     * its key's over the envelope, the task is one it holds an unexpired, unused lease on, the content is within the
     * task's size and hashes (normalised) to the signed hash; then its nonce is used up and its lease marked used.
     * Refused: 400, 401, 403 (pending, revoked, not its task), 404 (no task), 409 (replayed, submitted already),
     * 410 (late: lease or deadline passed), 413 (oversized).
     *
     * @return the submission for the agreement (Kafka node.submissions)
     */
    public NodeSubmission accept(@Body Map<String, Object> body) throws JsonProcessingException {
        String nodeId = (String) body.get("node_id");
        Document node = registry.signer(nodeId);
        String taskId = (String) body.get("task_id");
        @SuppressWarnings("unchecked")
        Map<String, Object> item = (Map<String, Object>) body.get("item");
        String hash = (String) body.get("content_hash");
        String capturedAt = (String) body.get("captured_at");
        String nonce = (String) body.get("nonce");
        if (!NodeKeys.verify(node.getString("public_key"), Envelopes.submission(taskId, item, hash, capturedAt, nodeId,
                nonce), (String) body.get("signature"))) {
            throw ApiException.unauthorized("the signature is not node " + nodeId + "'s over this submission");
        }
        registry.usable(node);
        Document t = taskId == null || !TASK_ID.matcher(taskId).matches() ? null
                : tasks.find(Filters.eq("_id", taskId)).first();
        if (t == null) {
            throw ApiException.notFound("no task '" + (taskId == null ? "" : taskId) + "'");
        }
        NodeTask task = JSON.readValue(t.getString("task"), NodeTask.class);
        Document lease = leases.find(Filters.eq("_id", taskId + "/" + nodeId)).first();
        if (lease == null) {
            throw ApiException.forbidden("task " + taskId + " was not given to node " + nodeId);
        }
        if (lease.getBoolean("submitted", false)) {
            throw ApiException.conflict("node " + nodeId + " has submitted task " + taskId + " already");
        }
        long now = System.currentTimeMillis();
        if (!"open".equals(t.getString("state")) || lease.getLong("lease_until") < now || task.deadlineAt() < now) {
            throw new ApiException(410, "late", "the lease on task " + taskId + " ended before this submission");
        }
        if (!java.util.Objects.equals(Envelopes.canonical(item), Envelopes.canonical(task.item()))) {
            throw ApiException.badRequest("the item is not the task's");
        }
        String content = (String) body.get("content");
        long bytes = content.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > task.maxBytes()) {
            throw new ApiException(413, "too_large", "the content is " + bytes + " bytes; the task takes at most "
                    + task.maxBytes());
        }
        String contentType = (String) body.get("content_type");
        if (!task.normaliser().hash(content, contentType).equals(hash)) {
            throw ApiException.badRequest("content_hash is not the hash of the normalised content");
        }
        try {
            Instant.parse(capturedAt);
        } catch (RuntimeException e) {
            throw ApiException.badRequest("captured_at is an ISO-8601 instant");
        }
        registry.useNonce(nodeId, nonce);
        if (leases.updateOne(Filters.and(Filters.eq("_id", lease.getString("_id")), Filters.eq("submitted", false)),
                Updates.combine(Updates.set("submitted", true), Updates.set("submitted_at", now)))
                .getModifiedCount() == 0) {
            throw ApiException.conflict("node " + nodeId + " has submitted task " + taskId + " already");
        }
        return new NodeSubmission(task, nodeId, node.getString("operator"), hash, capturedAt, Instant.now().toString(),
                contentType, nonce, (String) body.get("signature"), content);
    }

    /** A submission Kafka did not take: its lease may be used again (its nonce stays used); 503 to the node. */
    public void refuse(@Variable("submission") NodeSubmission submission, @Simple("${exception}") Throwable cause) {
        leases.updateOne(Filters.eq("_id", submission.task().taskId() + "/" + submission.nodeId()),
                Updates.set("submitted", false));
        throw new ApiException(503, "unavailable", "the submission could not be handed to the agreement ("
                + (cause == null ? "unknown" : cause.getClass().getSimpleName()) + "); submit it again",
                java.time.Duration.ofSeconds(5));
    }

    /** The answer of an accepted submission. */
    public Map<String, Object> accepted(NodeSubmission submission) {
        return Map.of("task_id", submission.task().taskId(), "node_id", submission.nodeId(), "status", "accepted");
    }

    /** The answer of GET /nodes: every node, and how many tasks are open and settled. */
    public Map<String, Object> listing(List<Map<String, Object>> nodes) {
        return Map.of("nodes", nodes, "tasks", counts());
    }

    /**
     * The nodes that held a lease on the task and let it lapse without submitting. A node whose lease was still running
     * when the others settled the task was not needed: it is not counted silent.
     */
    public List<String> silent(String taskId) {
        List<String> out = new ArrayList<>();
        leases.find(Filters.and(Filters.eq("task_id", taskId), Filters.eq("submitted", false),
                Filters.lt("lease_until", System.currentTimeMillis())))
                .forEach(l -> out.add(l.getString("node_id")));
        return out;
    }

    /**
     * Claims a task's settlement for one completed tally (its exchange id, the same when the aggregator's recovery
     * sends it again): the first claim wins and closes the task to nodes (a late submission is refused), a claim by the
     * owner again (a recovery after a crash) is granted, any other is refused. So a task whose tally completed twice
     * (a submission that arrived after its first tally closed, replayed after a restart, opens a second one) is
     * settled, published and counted once. A task the gateway has not opened yet is claimed all the same.
     */
    public boolean claim(String taskId, String owner) {
        if (tasks.updateOne(Filters.and(Filters.eq("_id", taskId), Filters.eq("state", "open")),
                Updates.combine(Updates.set("state", "settling"), Updates.set("owner", owner))).getModifiedCount() > 0) {
            return true;
        }
        Document t = tasks.find(Filters.eq("_id", taskId)).first();
        if (t == null) {
            try {
                tasks.insertOne(new Document("_id", taskId).append("state", "settling").append("owner", owner));
                return true;
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                return claim(taskId, owner);
            }
        }
        return owner.equals(t.getString("owner"));
    }

    /**
     * The task settled by the owner of its claim: only the first call for a task returns true. Each node's outcome is
     * counted through {@link #countOnce}, not by this answer: a crash after the task was marked settled and before the
     * outcomes were counted would otherwise lose them.
     */
    public boolean settle(String taskId, String owner, String outcome, List<String> agreedBy) {
        return tasks.updateOne(Filters.and(Filters.eq("_id", taskId), Filters.eq("state", "settling"),
                Filters.eq("owner", owner)),
                Updates.combine(Updates.set("state", "settled"), Updates.set("outcome", outcome),
                        Updates.set("agreed_by", agreedBy), Updates.set("settled_at", Instant.now().toString())))
                .getModifiedCount() > 0;
    }

    /**
     * Marks one node's outcome of a task counted, once: true the first time for this task and node, false after (the
     * aggregator's recovery sending the settlement again after a crash, whether the crash came before or after the task
     * was marked settled). Marked before the node's ledger is written, so a crash between the two loses that one
     * count at most and never counts it twice.
     */
    public boolean countOnce(String taskId, String nodeId) {
        return tasks.updateOne(Filters.and(Filters.eq("_id", taskId), Filters.ne("counted", nodeId)),
                Updates.addToSet("counted", nodeId)).getModifiedCount() > 0;
    }

    /** How many tasks are open and settled (GET /nodes/tasks for admins, the tests). */
    public Map<String, Long> counts() {
        return Map.of("open", tasks.countDocuments(Filters.in("state", List.of("open", "settling"))),
                "settled", tasks.countDocuments(Filters.eq("state", "settled")));
    }
}
