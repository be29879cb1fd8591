package io.fineas.pipeline.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.IntStream;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import io.fineas.pipeline.support.TestNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The open capture network through the real gateway and processors (in-process broker, Mongo wire server): nodes that
 * speak the protocol join and are approved, a network processor's items become tasks, three nodes of distinct
 * operators capture each and two agreeing settle it. A lying node is outvoted on every task it shares and loses its
 * tasks; a silent node's leases lapse and its tasks go to others; a node that makes content up is caught by a canary.
 * Every item is published once, with the honest content and the agreeing nodes in its record.
 */
class NodeNetworkTest extends PipelineTestSupport {

    private static final int ITEMS = 16;
    private SourceServer source;
    private Path folder;

    @Override
    protected String roles() {
        return "gateway,processors";
    }

    private String topic() {
        return "net-" + ids().suffix();
    }

    private SourceServer source() {
        if (source == null) {
            source = new SourceServer();
            for (int i = 0; i < ITEMS; i++) {
                source.document("n" + i, "Item " + i + ": revenue rose by " + (i + 3) + " percent in quarter "
                        + (i % 4 + 1) + ".\n  The  board met.");
            }
        }
        return source;
    }

    @AfterAll
    void stopSource() {
        if (source != null) {
            source.close();
        }
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", processors().toString());
        p.put("pipeline.network.deadline-check-ms", "200");
        p.put("pipeline.network.nonce-sweep-ms", "300");
    }

    private Path processors() {
        if (folder != null) {
            return folder;
        }
        try {
            folder = Files.createTempDirectory("network-processors");
            String base = source().baseUrl();
            Files.writeString(folder.resolve("items.data.json"), toJson(IntStream.range(0, ITEMS)
                    .mapToObj(i -> Map.of("doc", "n" + i)).toList()));
            network("crowd", "crowd", "replicas: 3\n  quorum: 2\n  canary_rate: 0\n  deadline_ms: 60000\n"
                    + "  lease_ms: 2000\n", base);
            network("canaries", "canaries", "replicas: 3\n  quorum: 2\n  canary_rate: 0.5\n  deadline_ms: 15000\n",
                    base);
            network("single", "single", "replicas: 1\n  quorum: 1\n  canary_rate: 0\n  deadline_ms: 60000\n",
                    base);
            network("brief", "brief", "replicas: 1\n  quorum: 1\n  canary_rate: 0\n  deadline_ms: 60000\n"
                    + "  lease_ms: 1000\n", base);
            return folder;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void network(String id, String segment, String spec, String base) throws IOException {
        Files.writeString(folder.resolve(id + ".yaml"), "topic: " + topic() + "\nsegment: " + segment
                + "\ndata_list: items.data.json\nsource:\n  kind: http\n  url: \"" + base + "/doc/{doc}\"\n"
                + "  allow_private_network: true\n  max_response_bytes: 4000\nnetwork:\n  " + spec);
    }

    private boolean ready;

    /** The topic and segments once; and no node of an earlier test left approved (each test has its own nodes). */
    private void ready() {
        for (Object n : (List<?>) get("/nodes", "X-API-Key", ADMIN_KEY).json().get("nodes")) {
            Map<?, ?> node = (Map<?, ?>) n;
            if ("approved".equals(node.get("status"))) {
                post("/nodes/" + node.get("node_id") + "/revoke", Map.of(), "X-API-Key", ADMIN_KEY);
            }
        }
        if (!ready) {
            createTopic(topic());
            for (String s : List.of("crowd", "canaries", "single", "brief")) {
                createSegment(topic(), s);
            }
            ready = true;
        }
    }

    private String gateway() {
        return uri("").toString().replaceAll("/$", "");
    }

    private MongoDatabase system() {
        return mongo().getDatabase(ids().systemDatabase());
    }

    private TestNode approved(TestNode node) {
        assertThat(node.join().statusCode()).isEqualTo(201);
        Response r = post("/nodes/" + node.id() + "/approve", Map.of(), "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return node;
    }

    private String collect(String segment) {
        Response r = post("/collect", List.of(Map.of("topic", topic(), "segment_targets", List.of(segment))),
                "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.body();
    }

    private long tasks(String state) {
        return system().getCollection("node_tasks").countDocuments(Filters.eq("state", state));
    }

    private List<Map<String, Object>> records(String segment) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : readAll(dataTopic(topic()), Duration.ofSeconds(2))) {
            Map<String, Object> m = parse(r.value());
            if (segment.equals(m.get("segment"))) {
                out.add(m);
            }
        }
        return out;
    }

    private Map<String, Object> node(TestNode n) {
        return get("/nodes/" + n.id(), "X-API-Key", ADMIN_KEY).json();
    }

    @Test
    void noncesAreForgottenOnceTheirRequestsTimeRefusesThemAndNotBefore() {
        String node = "node-sweep" + ids().suffix();
        long now = System.currentTimeMillis();
        var nonces = system().getCollection("node_nonces");
        nonces.insertOne(new Document("_id", node + ":old").append("at", now - Duration.ofMinutes(11).toMillis()));
        nonces.insertOne(new Document("_id", node + ":recent").append("at", now - Duration.ofMinutes(9).toMillis()));
        await().atMost(Duration.ofSeconds(10)).until(() -> docs("node_nonces", Filters.eq("_id", node + ":old")).isEmpty());
        assertThat(docs("node_nonces", Filters.eq("_id", node + ":recent")))
                .as("a nonce whose request time is still accepted is remembered").hasSize(1);
    }

    @Test
    void aJoiningNodeWaitsForApprovalAndARevokedOneIsRefusedAtOnce() {
        ready();
        TestNode node = TestNode.honest(gateway(), "Oscar Ops");
        assertThat(node.join().statusCode()).isEqualTo(201);
        assertThat(node(node)).containsEntry("status", "pending").containsEntry("receives_tasks", false);
        assertThat(node.pollResponse(0).statusCode()).isEqualTo(403);
        // the same key again: 409, nothing new
        assertThat(node.join().statusCode()).isEqualTo(409);
        assertThat(post("/nodes/" + node.id() + "/approve", Map.of(), "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
        assertThat(node.pollResponse(0).statusCode()).isEqualTo(200);
        assertThat(post("/nodes/" + node.id() + "/revoke", Map.of(), "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
        assertThat(node.pollResponse(0).statusCode()).isEqualTo(403);
        // a revoked node is not approved again: it joins anew with a new key
        assertThat(post("/nodes/" + node.id() + "/approve", Map.of(), "X-API-Key", ADMIN_KEY).status()).isEqualTo(409);
    }

    @Test
    void twoOfThreeAgreeingNodesSettleEachItemOnceALiarAndASilentNodeLoseTheirTasks() {
        ready();
        String g = gateway();
        List<TestNode> honest = List.of(approved(TestNode.honest(g, "Alpha")), approved(TestNode.honest(g, "Bravo")),
                approved(TestNode.honest(g, "Charlie")));
        TestNode liar = approved(TestNode.liar(g, "Lima"));
        TestNode silent = approved(TestNode.honest(g, "Delta"));
        // a second node of an operator that has one: never on the same task as its sibling
        TestNode sibling = approved(TestNode.honest(g, "alpha "));
        collect("crowd");
        await().atMost(Duration.ofSeconds(20)).until(() -> tasks("open") >= ITEMS);
        // the silent node takes its leases and never submits
        assertThat(silent.poll(0)).isNotEmpty();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            // the liar is the quickest: its lie is on every task it shares before the others settle it
            liar.work();
            for (TestNode n : honest) {
                n.work();
            }
            sibling.work();
            assertThat(records("crowd")).hasSize(ITEMS);
        });
        List<Map<String, Object>> records = records("crowd");
        Set<Object> sources = new HashSet<>();
        Set<String> honestIds = new HashSet<>(List.of(honest.get(0).id(), honest.get(1).id(), honest.get(2).id(),
                sibling.id()));
        for (Map<String, Object> r : records) {
            sources.add(((Map<?, ?>) r.get("source")).get("id"));
            String doc = (String) ((Map<?, ?>) r.get("parameters")).get("doc");
            int i = Integer.parseInt(doc.substring(1));
            assertThat((String) r.get("content")).as("record of %s", doc).contains("revenue rose by " + (i + 3));
            @SuppressWarnings("unchecked")
            List<String> by = (List<String>) r.get("captured_by");
            assertThat(by).hasSizeGreaterThanOrEqualTo(2).doesNotContain(liar.id(), silent.id());
            assertThat(honestIds).containsAll(by);
            assertThat(by.contains(honest.get(0).id()) && by.contains(sibling.id())).as("one operator twice").isFalse();
        }
        assertThat(sources).hasSize(ITEMS);
        Map<String, Object> lying = node(liar);
        assertThat(((Number) lying.get("disputes")).intValue()).isGreaterThanOrEqualTo(1);
        assertThat(((Number) lying.get("agreements")).intValue()).isZero();
        assertThat(((Number) node(silent).get("silences")).intValue()).isGreaterThanOrEqualTo(1);
        assertThat(((Number) node(honest.get(0)).get("credibility")).doubleValue()).isGreaterThan(0.5);
        // the liar loses its standing: with enough runs its credibility falls below the threshold, and then it gets
        // no tasks while the honest nodes still do
        for (int run = 0; run < 6 && Boolean.TRUE.equals(node(liar).get("receives_tasks")); run++) {
            long settled = tasks("settled");
            collect("crowd");
            await().atMost(Duration.ofSeconds(20)).until(() -> tasks("open") > 0 || tasks("settled") > settled);
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                liar.work();
                for (TestNode n : honest) {
                    n.work();
                }
                sibling.work();
                silent.work();
                assertThat(tasks("open")).isZero();
            });
        }
        assertThat(node(liar)).containsEntry("receives_tasks", false);
        assertThat(((Number) node(liar).get("credibility")).doubleValue()).isLessThan(0.3);
        collect("crowd");
        await().atMost(Duration.ofSeconds(20)).until(() -> tasks("open") > 0);
        assertThat(liar.poll(0)).isEmpty();
        assertThat(honest.get(0).poll(0)).isNotEmpty();
        // every item still published once per distinct content: the later runs' identical content is not published
        assertThat(records("crowd")).hasSize(ITEMS);
    }

    @Test
    void aNodeThatMakesContentUpIsCaughtByACanaryAndItsAgreementsAreListedForReview() {
        ready();
        String g = gateway();
        TestNode a = approved(TestNode.honest(g, "Echo"));
        TestNode b = approved(TestNode.honest(g, "Foxtrot"));
        TestNode maker = approved(TestNode.fabricator(g, "Golf"));
        collect("canaries");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            a.work();
            b.work();
            maker.work();
            assertThat(node(maker)).containsKey("flagged");
        });
        Map<String, Object> caught = node(maker);
        assertThat(caught).containsEntry("receives_tasks", false).containsEntry("credibility", 0.0);
        assertThat(((Number) caught.get("canaries_failed")).intValue()).isGreaterThanOrEqualTo(1);
        assertThat(caught).containsKey("review");
        assertThat(((Number) node(a).get("canaries_failed")).intValue()).isZero();
        assertThat(((Number) node(a).get("canaries_passed")).intValue()).isGreaterThanOrEqualTo(1);
        // no canary is published as data
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            a.work();
            b.work();
            assertThat(records("canaries")).hasSize(ITEMS);
        });
        assertThat(records("canaries")).allSatisfy(r -> assertThat((String) r.get("content")).contains("revenue rose"));
        // the ledger export names every node
        Response csv = get("/nodes?format=csv", "X-API-Key", ADMIN_KEY);
        assertThat(csv.status()).isEqualTo(200);
        assertThat(csv.header("Content-Type")).startsWith("text/csv");
        assertThat(csv.body()).startsWith("node_id,operator,status,credibility").contains(maker.id(), a.id());
        // nodes are the admin's business
        assertThat(get("/nodes").status()).isEqualTo(401);
    }

    private final List<String> snapshotNodes = new ArrayList<>();

    /**
     * A snapshot of everything a node request of this test could change: its nodes, their leases and nonces, the
     * tasks of its processors, the challenges, and the submissions handed to the agreement. (Other tests' tasks may
     * still be settling meanwhile.)
     */
    private Map<String, Object> snapshot() {
        Map<String, Object> s = new java.util.LinkedHashMap<>();
        s.put("nodes", docs("nodes", Filters.in("_id", snapshotNodes)));
        s.put("node_leases", docs("node_leases", Filters.in("node_id", snapshotNodes)));
        s.put("node_nonces", docs("node_nonces", Filters.regex("_id", "^(" + String.join("|", snapshotNodes) + "):")));
        s.put("node_tasks", docs("node_tasks", Filters.in("processor_id", List.of("single", "brief"))));
        s.put("node_challenges", docs("node_challenges", new Document()));
        s.put("submissions", readAll("node-submissions-" + ids().suffix(), Duration.ofMillis(500)).stream()
                .filter(r -> snapshotNodes.stream().anyMatch(n -> r.value().contains(n))).count());
        return s;
    }

    private List<String> docs(String collection, org.bson.conversions.Bson filter) {
        List<Document> docs = new ArrayList<>();
        system().getCollection(collection).find(filter).sort(new Document("_id", 1)).into(docs);
        return docs.stream().map(Document::toJson).toList();
    }

    @Test
    void everyHostileNodeRequestIsRefusedWithJsonAndChangesNothing() throws Exception {
        ready();
        String g = gateway();
        // the only eligible node (other is revoked below), so that the single-replica tasks all come to it
        TestNode node = approved(TestNode.honest(g, "Hotel"));
        TestNode other = TestNode.honest(g, "India");
        approved(other);
        TestNode pending = TestNode.honest(g, "Juliett");
        assertThat(pending.join().statusCode()).isEqualTo(201);
        TestNode revoked = approved(TestNode.honest(g, "Kilo"));
        post("/nodes/" + revoked.id() + "/revoke", Map.of(), "X-API-Key", ADMIN_KEY);
        post("/nodes/" + other.id() + "/revoke", Map.of(), "X-API-Key", ADMIN_KEY);
        snapshotNodes.addAll(List.of(node.id(), other.id(), pending.id(), revoked.id()));
        collect("single");
        List<Map<String, Object>> held = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            held.addAll(node.poll(0));
            assertThat(held).hasSizeGreaterThanOrEqualTo(4);
        });
        // every task of the run on the board before the snapshots: the gateway still opening them would change
        // node_tasks between a request's before and after (seen once: three tasks opened during a case)
        await().atMost(Duration.ofSeconds(20)).until(() -> mongo().getDatabase(ids().systemDatabase())
                .getCollection("node_tasks").countDocuments(Filters.eq("processor_id", "single")) == ITEMS);
        Map<String, Object> t1 = held.get(0);
        Map<String, Object> t2 = held.get(1);
        TestNode.Capture c1 = node.capture(t1);
        Map<String, Object> good = node.submission(t1, c1.content(), c1.contentType());

        List<java.util.function.Supplier<java.net.http.HttpResponse<String>>> cases = new ArrayList<>();
        Map<String, Integer> expected = new java.util.LinkedHashMap<>();
        // a bad signature (another key's), a missing one, a tampered content hash
        Map<String, Object> badSig = new java.util.LinkedHashMap<>(good);
        badSig.put("signature", other.keys.sign("anything"));
        Map<String, Object> noSig = new java.util.LinkedHashMap<>(good);
        noSig.remove("signature");
        Map<String, Object> tampered = new java.util.LinkedHashMap<>(good);
        tampered.put("content", c1.content() + " and more");
        Map<String, Object> wrongHash = node.submission(t1, c1.content(), c1.contentType());
        wrongHash.put("content", "other content");
        wrongHash = resign(node, wrongHash);
        // another node's task (other is revoked: its signature is good, its standing is not; pending too)
        Map<String, Object> revokedSub = revoked.submission(t1, c1.content(), c1.contentType());
        Map<String, Object> pendingSub = pending.submission(t1, c1.content(), c1.contentType());
        TestNode stranger = TestNode.honest(g, "Mike");
        Map<String, Object> unknown = stranger.submission(t1, c1.content(), c1.contentType());
        // oversized for the task (max_response_bytes 4000)
        Map<String, Object> big = node.submission(t2, "x".repeat(5000), "text/plain");
        // an item that is not the task's
        Map<String, Object> otherItem = node.submission(t2, c1.content(), c1.contentType());
        otherItem.put("item", Map.of("doc", "elsewhere"));
        otherItem = resign(node, otherItem);
        // a task that does not exist
        Map<String, Object> noTask = node.submission(Map.of("task_id", "0".repeat(32), "item", t1.get("item"),
                "normaliser", t1.get("normaliser")), c1.content(), c1.contentType());
        Object[][] table = {
            {"bad signature", badSig, 401}, {"no signature", noSig, 400}, {"tampered content", tampered, 400},
            {"hash of other content", wrongHash, 400}, {"revoked node", revokedSub, 403},
            {"pending node", pendingSub, 403}, {"unknown node", unknown, 401}, {"oversized", big, 413},
            {"another item", otherItem, 400}, {"no such task", noTask, 404},
            {"not JSON", "{\"task_id\": ", 400}, {"empty", "", 400}};
        for (Object[] row : table) {
            Map<String, Object> before = snapshot();
            java.net.http.HttpResponse<String> r = node.send("POST", "/node/submissions", row[1]);
            assertThat(r.statusCode()).as("%s: %s", row[0], r.body()).isEqualTo(row[2]);
            assertThat(TestNode.parse(r.body())).as((String) row[0]).containsKeys("error", "detail");
            assertThat(snapshot()).as("%s changed nothing", row[0]).isEqualTo(before);
        }
        // the node of another task's lease: a task given to `node` only
        TestNode outsider = approved(TestNode.honest(g, "November"));
        snapshotNodes.add(outsider.id());
        Map<String, Object> notMine = outsider.submission(t2, c1.content(), c1.contentType());
        Map<String, Object> before = snapshot();
        assertThat(outsider.submit(notMine).statusCode()).isEqualTo(403);
        assertThat(snapshot()).isEqualTo(before);
        post("/nodes/" + outsider.id() + "/revoke", Map.of(), "X-API-Key", ADMIN_KEY);

        // accepted once; the same again, and its nonce on another task, are refused
        assertThat(node.submit(good).statusCode()).isEqualTo(202);
        // (quorum 1: the agreement settles it at once; then nothing more moves)
        await().atMost(Duration.ofSeconds(10)).until(() -> "settled".equals(system().getCollection("node_tasks")
                .find(Filters.eq("_id", t1.get("task_id"))).first().getString("state")));
        await().atMost(Duration.ofSeconds(10)).until(() -> ((Number) node(node).get("agreements")).intValue() == 1);
        before = snapshot();
        assertThat(node.submit(good).statusCode()).isEqualTo(409);
        TestNode.Capture c2 = node.capture(t2);
        Map<String, Object> replay = node.submission(t2, c2.content(), c2.contentType());
        replay.put("nonce", good.get("nonce"));
        replay = resign(node, replay);
        java.net.http.HttpResponse<String> replayed = node.submit(replay);
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(409);
        assertThat(replayed.body()).contains("replayed");
        assertThat(snapshot()).isEqualTo(before);

        // polls: unsigned, badly signed, stale, replayed
        String time = Long.toString(System.currentTimeMillis());
        String nonce = NodeKeys.nonce();
        String[] headers = node.pollHeaders(time, nonce);
        assertThat(node.send("GET", "/node/tasks?wait=0", null, headers).statusCode()).isEqualTo(200);
        before = snapshot();
        assertThat(node.send("GET", "/node/tasks?wait=0", null, headers).statusCode()).isEqualTo(409);
        assertThat(node.send("GET", "/node/tasks?wait=0", null).statusCode()).isEqualTo(401);
        String[] forged = node.pollHeaders(time, NodeKeys.nonce());
        forged[7] = other.keys.sign(Envelopes.request("GET", "/node/tasks", node.id(), time, forged[5]));
        assertThat(node.send("GET", "/node/tasks?wait=0", null, forged).statusCode()).isEqualTo(401);
        String stale = Long.toString(System.currentTimeMillis() - 3_600_000);
        assertThat(node.send("GET", "/node/tasks?wait=0", null, node.pollHeaders(stale, NodeKeys.nonce()))
                .statusCode()).isEqualTo(401);
        assertThat(node.send("GET", "/node/tasks?wait=x", null, node.pollHeaders(time, NodeKeys.nonce()))
                .statusCode()).isEqualTo(400);
        assertThat(revoked.pollResponse(0).statusCode()).isEqualTo(403);
        assertThat(pending.pollResponse(0).statusCode()).isEqualTo(403);
        // joins: a bad signature, a challenge used twice, a key already joined
        Map<String, Object> join = TestNode.honest(g, "Oscar").joinRequest();
        Map<String, Object> badJoin = new java.util.LinkedHashMap<>(join);
        badJoin.put("signature", other.keys.sign("x"));
        assertThat(node.send("POST", "/nodes/join", badJoin).statusCode()).isEqualTo(401);
        Map<String, Object> lineBreak = new java.util.LinkedHashMap<>(join);
        lineBreak.put("operator", "Oscar\nadmin");
        assertThat(node.send("POST", "/nodes/join", lineBreak).statusCode()).isEqualTo(400);
        // admin endpoints with no key or a key that is not admin
        assertThat(post("/nodes/" + pending.id() + "/approve", Map.of()).status()).isEqualTo(401);
        assertThat(get("/nodes/" + pending.id()).status()).isEqualTo(401);
        assertThat(post("/nodes/node-0000000000000000/approve", Map.of(), "X-API-Key", ADMIN_KEY).status())
                .isEqualTo(404);
        // canary pages: any id of a task's form has one, anything else is 404 with JSON
        java.net.http.HttpResponse<String> page = node.send("GET", "/canary/" + "a".repeat(32), null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        java.net.http.HttpResponse<String> noPage = node.send("GET", "/canary/..%2Fkeys", null);
        assertThat(noPage.statusCode()).isEqualTo(404);
        assertThat(TestNode.parse(node.send("GET", "/canary/xyz", null).body())).containsKeys("error", "detail");
        // only the challenges each join asked for are new
        Map<String, Object> after = snapshot();
        after.remove("node_challenges");
        before.remove("node_challenges");
        before.put("node_nonces", after.get("node_nonces"));
        assertThat(after).isEqualTo(before);

        // late: a lease of 1 s that lapsed
        collect("brief");
        List<Map<String, Object>> brief = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            brief.addAll(node.poll(0).stream().filter(t -> t.get("url").toString().contains("/doc/")).toList());
            assertThat(brief).isNotEmpty();
        });
        Thread.sleep(1500);
        // one of brief's tasks (the single processor's are leased for a minute): its lease ended
        Map<String, Object> late = brief.stream().filter(t -> java.time.Instant.parse((String) t.get("lease_until"))
                .isBefore(java.time.Instant.now())).findFirst().orElseThrow();
        TestNode.Capture lc = node.capture(late);
        before = snapshot();
        java.net.http.HttpResponse<String> lateAnswer = node.submit(node.submission(late, lc.content(), lc.contentType()));
        assertThat(lateAnswer.statusCode()).as(lateAnswer.body()).isEqualTo(410);
        assertThat(snapshot()).isEqualTo(before);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> resign(TestNode node, Map<String, Object> s) {
        s.put("signature", node.keys.sign(Envelopes.submission((String) s.get("task_id"),
                (Map<String, Object>) s.get("item"), (String) s.get("content_hash"), (String) s.get("captured_at"),
                node.id(), (String) s.get("nonce"))));
        return s;
    }
}
