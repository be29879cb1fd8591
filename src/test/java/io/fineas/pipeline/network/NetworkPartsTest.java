package io.fineas.pipeline.network;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.messages.NodeSubmission;
import io.fineas.pipeline.messages.NodeTask;
import io.fineas.pipeline.support.PipelineInfrastructure;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** The network's pieces that need no pipeline: keys and signatures, normalisation, assignment, tallies, the repository. */
@ExtendWith(PipelineInfrastructure.class)
class NetworkPartsTest {

    @Test
    void aNodeKeyIsMadeOnceKeptPrivateAndSignsWhatOnlyItCouldHaveSigned(@TempDir Path dir) throws Exception {
        NodeKeys made = NodeKeys.loadOrCreate(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("node.key"))))
                .isEqualTo("rw-------");
        NodeKeys again = NodeKeys.loadOrCreate(dir);
        assertThat(again.nodeId()).isEqualTo(made.nodeId()).matches("node-[0-9a-f]{16}");
        assertThat(again.publicKey()).isEqualTo(made.publicKey()).hasSize(43);
        String text = Envelopes.submission("a".repeat(32), Map.of("b", 1, "a", List.of(2)), "f".repeat(64),
                "2026-12-02T00:00:00Z", made.nodeId(), "n".repeat(22));
        String signature = again.sign(text);
        assertThat(NodeKeys.verify(made.publicKey(), text, signature)).isTrue();
        assertThat(NodeKeys.verify(made.publicKey(), text + " ", signature)).isFalse();
        assertThat(NodeKeys.verify(NodeKeys.generate().publicKey(), text, signature)).isFalse();
        assertThat(NodeKeys.verify(made.publicKey(), text, "not base64!")).isFalse();
        assertThat(NodeKeys.verify("short", text, signature)).isFalse();
        // the item is signed in one canonical form, whatever the order its keys came in
        assertThat(Envelopes.canonical(Map.of("b", 1, "a", 2))).isEqualTo("{\"a\":2,\"b\":1}");
    }

    @Test
    void theNormaliserLeavesOutWhatDiffersBetweenTwoHonestFetches() {
        Normaliser n = new Normaliser(true, List.of(".clock", "#ad"), List.of("$.meta.generated_at", "items.seen"));
        String a = "<html><body><p>Revenue  rose.</p><span class=clock>10:01</span><div id=ad>Buy</div>"
                + "<script>var t=1</script></body></html>";
        String b = "<html><body>\n<p>Revenue rose.</p><span class=clock>10:02</span><div id=ad>Sell</div></body></html>";
        assertThat(n.hash(a, "text/html; charset=utf-8")).isEqualTo(n.hash(b, "text/html"));
        assertThat(n.hash(a, "text/html")).isNotEqualTo(n.hash(a.replace("rose", "fell"), "text/html"));
        String j1 = "{\"b\":1,\"meta\":{\"generated_at\":\"t1\",\"v\":2},\"items\":[{\"id\":1,\"seen\":3}]}";
        String j2 = "{\"items\":[{\"seen\":9,\"id\":1}],\"meta\":{\"v\":2,\"generated_at\":\"t2\"},\"b\":1}";
        assertThat(n.hash(j1, "application/json")).isEqualTo(n.hash(j2, "application/json"));
        assertThat(n.hash(j1, "application/json")).isNotEqualTo(n.hash(j1.replace("\"v\":2", "\"v\":3"),
                "application/json"));
        assertThat(Normaliser.DEFAULT.normalise(" a \n\t b ", "text/plain")).isEqualTo("a b");
        assertThat(new Normaliser(false, null, null).normalise(" a  b", "text/plain")).isEqualTo(" a  b");
    }

    @Test
    void assignmentIsTheSameEverywhereOneNodePerOperatorAndMovesLittleWhenANodeLeaves() {
        List<Assignment.Candidate> nodes = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            nodes.add(new Assignment.Candidate("node-" + i, "operator " + (i % 7)));
        }
        int moved = 0;
        for (int t = 0; t < 200; t++) {
            String task = "task" + t;
            List<Assignment.Candidate> chosen = Assignment.choose(task, nodes, 3);
            assertThat(chosen).hasSize(3);
            assertThat(chosen.stream().map(c -> Assignment.operatorKey(c.operator())).collect(Collectors.toSet()))
                    .hasSize(3);
            List<Assignment.Candidate> shuffled = new ArrayList<>(nodes);
            java.util.Collections.shuffle(shuffled);
            assertThat(Assignment.choose(task, shuffled, 3)).isEqualTo(chosen);
            // node-9 leaves: only the tasks it was chosen for change
            List<Assignment.Candidate> without = nodes.subList(0, 9);
            if (!Assignment.choose(task, without, 3).equals(chosen)) {
                moved++;
                assertThat(chosen.stream().map(Assignment.Candidate::nodeId)).contains("node-9");
            }
        }
        assertThat(moved).isBetween(20, 120);
        // one operator's two nodes never share a task, however their names are spelt
        List<Assignment.Candidate> two = List.of(new Assignment.Candidate("x", "ACME  Ltd"),
                new Assignment.Candidate("y", "acme ltd"), new Assignment.Candidate("z", "Other"));
        assertThat(Assignment.choose("t", two, 3)).hasSize(2);
    }

    private static NodeTask task(int replicas, int quorum, boolean canary) {
        return new NodeTask("c".repeat(32), "p", "t", "s", "r", null, null, Map.of("a", 1), "http://x/a", replicas,
                quorum, "2026-12-02T00:00:00Z", System.currentTimeMillis() + 60_000, 1000, 1000, Normaliser.DEFAULT,
                canary);
    }

    private static NodeSubmission vote(NodeTask task, String node, String hash) {
        return new NodeSubmission(task, node, node, hash, "2026-12-02T00:00:00Z", "2026-12-02T00:00:01Z",
                "text/plain", "n", "s", "content " + hash);
    }

    @Test
    void aTallyCompletesAtQuorumOrWhenNoQuorumIsLeftAndACanaryWaitsForEveryReplica() {
        NodeTask t = task(3, 2, false);
        Tally tally = new Tally().add(t).add(vote(t, "a", "h1"));
        assertThat(tally.isComplete()).isFalse();
        tally.add(vote(t, "a", "h1"));
        assertThat(tally.submissions()).as("a node votes once").hasSize(1);
        tally.add(vote(t, "b", "h2"));
        assertThat(tally.isComplete()).as("1 + 1 + one to come can still make 2").isFalse();
        tally.add(vote(t, "c", "h1"));
        assertThat(tally.isComplete()).isTrue();
        assertThat(tally.agreedHash()).contains("h1");
        Tally split = new Tally().add(vote(t, "a", "h1")).add(vote(t, "b", "h2")).add(vote(t, "c", "h3"));
        assertThat(split.isComplete()).isTrue();
        assertThat(split.agreedHash()).isEmpty();
        NodeTask five = task(5, 3, false);
        Tally early = new Tally().add(five).add(vote(five, "a", "1")).add(vote(five, "b", "2"))
                .add(vote(five, "c", "3"));
        assertThat(early.isComplete()).as("1 vote and 2 to come can still make 3").isFalse();
        early.add(vote(five, "d", "4"));
        assertThat(early.isComplete()).as("1 + 1 to come < 3").isTrue();
        NodeTask canary = task(3, 2, true);
        Tally c = new Tally().add(canary).add(vote(canary, "a", "h")).add(vote(canary, "b", "h"));
        assertThat(c.isComplete()).isFalse();
        assertThat(c.add(vote(canary, "c", "x")).isComplete()).isTrue();
    }

    @Test
    void theMongoRepositoryKeepsAnAggregateAcrossInstancesUntilItsCompletionIsConfirmed() {
        try (MongoClient client = MongoClients.create(PipelineInfrastructure.mongoUri())) {
            MongoDatabase db = client.getDatabase("repo-" + System.nanoTime());
            DefaultCamelContext context = new DefaultCamelContext();
            MongoAggregationRepository one = new MongoAggregationRepository(db.getCollection("open"),
                    db.getCollection("done"));
            NodeTask t = task(3, 2, false);
            Exchange e = new DefaultExchange(context);
            e.getIn().setBody(new Tally().add(t).add(vote(t, "a", "h1")));
            e.getIn().setHeader("networkTaskId", t.taskId());
            e.setProperty(Exchange.AGGREGATED_TIMEOUT, 60_000L);
            assertThat(one.add(context, "k", e)).isNull();
            // another instance (a restarted process) reads it back, with its timeout
            MongoAggregationRepository two = new MongoAggregationRepository(db.getCollection("open"),
                    db.getCollection("done"));
            assertThat(two.getKeys()).containsExactly("k");
            Exchange back = two.get(context, "k");
            Tally tally = back.getIn().getBody(Tally.class);
            assertThat(tally.submissions()).extracting(NodeSubmission::nodeId).containsExactly("a");
            assertThat(back.getProperty(Exchange.AGGREGATED_TIMEOUT, Long.class)).isEqualTo(60_000L);
            assertThat(back.getExchangeId()).isEqualTo(e.getExchangeId());
            two.remove(context, "k", back);
            assertThat(two.getKeys()).isEmpty();
            assertThat(one.scan(context)).containsExactly(e.getExchangeId());
            assertThat(one.recover(context, e.getExchangeId()).getIn().getBody(Tally.class).task()).isEqualTo(t);
            assertThat(one.confirmWithResult(context, e.getExchangeId())).isTrue();
            assertThat(two.scan(context)).isEmpty();
        }
    }

    /**
     * The processors killed after a task was marked settled and before its nodes' outcomes were counted: the
     * aggregator's recovery sends the settlement again, and each node's outcome is counted then, once (before, the
     * settled task made the recovery count nothing: a lapse was never counted silent, seen in NodeNetworkIT).
     */
    @Test
    void aSettlementSentAgainAfterACrashCountsEachNodesOutcomeOnce() {
        try (MongoClient client = MongoClients.create(PipelineInfrastructure.mongoUri())) {
            MongoDatabase db = client.getDatabase("settlement-" + System.nanoTime());
            NodeRegistry registry = new NodeRegistry(db.getCollection("nodes"), db.getCollection("node_challenges"),
                    db.getCollection("node_nonces"), db.getCollection("node_tasks"), NodeRegistry.Enrollment.OPEN,
                    0.5, 0.3, 0.2);
            TaskBoard board = new TaskBoard(db.getCollection("node_tasks"), db.getCollection("node_leases"),
                    registry);
            NetworkSettlement settlement = new NetworkSettlement(null, board, registry, null);
            for (String node : List.of("a", "b", "k")) {
                db.getCollection("nodes").insertOne(new org.bson.Document("_id", node).append("status", "approved")
                        .append("credibility", 0.5));
            }
            NodeTask task = task(3, 2, false);
            db.getCollection("node_tasks").insertOne(new org.bson.Document("_id", task.taskId())
                    .append("state", "open"));
            NetworkSettlement.Verdict verdict = new NetworkSettlement.Verdict(task, "h",
                    List.of(vote(task, "a", "h"), vote(task, "b", "h")), List.of(), List.of("k"), "tally-1");

            assertThat(settlement.claim(verdict)).isTrue();
            // the first attempt got as far as marking the task settled
            assertThat(board.settle(task.taskId(), "tally-1", "agreed", List.of("a", "b"))).isTrue();
            settlement.agreed(verdict);
            settlement.agreed(verdict);

            Map<String, org.bson.Document> nodes = new java.util.HashMap<>();
            db.getCollection("nodes").find().forEach(d -> nodes.put(d.getString("_id"), d));
            assertThat(nodes.get("a").get("agreements", Number.class).longValue()).isEqualTo(1);
            assertThat(nodes.get("b").get("agreements", Number.class).longValue()).isEqualTo(1);
            assertThat(nodes.get("k").get("silences", Number.class).longValue()).isEqualTo(1);
            assertThat(nodes.values()).allSatisfy(d -> assertThat(d.get("tasks", Number.class).longValue())
                    .isEqualTo(1));
            assertThat(db.getCollection("node_tasks").find().first().getString("state")).isEqualTo("settled");
        }
    }

    @Test
    void aRunsCanariesAreItsShareOfItemsAtLeastOneAndTheirIdsNeedTheSecret() {
        assertThat(NetworkTasks.canaryCount(20, 0.05)).isEqualTo(1);
        assertThat(NetworkTasks.canaryCount(100, 0.05)).isEqualTo(5);
        assertThat(NetworkTasks.canaryCount(3, 0.01)).isEqualTo(1);
        assertThat(NetworkTasks.canaryCount(100, 0)).isZero();
        Canaries a = new Canaries("secret-a");
        Canaries b = new Canaries("secret-b");
        assertThat(a.id("p", "r", 0)).matches("[0-9a-f]{32}").isNotEqualTo(b.id("p", "r", 0))
                .isNotEqualTo(a.id("p", "r", 1));
        Set<String> pages = IntStream.range(0, 50).mapToObj(i -> a.page(a.id("p", "r", i))).collect(Collectors.toSet());
        assertThat(pages).hasSize(50);
        assertThat(a.page("0".repeat(32))).isEqualTo(a.page("0".repeat(32))).isNotEqualTo(b.page("0".repeat(32)));
    }

    @Test
    void aNetworkProcessorIsAnHttpSourceWithoutSecretsAndAQuorumItsReplicasCanReach(@TempDir Path dir)
            throws Exception {
        Files.writeString(dir.resolve("items.data.json"), "[{\"id\": \"a\", \"path\": \"a.txt\"}]");
        String head = "topic: t\nsegment: s\ndata_list: items.data.json\n";
        Files.writeString(dir.resolve("ok.yaml"), head + "source:\n  kind: http\n  url: \"https://x.org/{id}\"\n"
                + "network:\n  replicas: 5\n  normalise:\n    html_elements: [\".clock\"]\n");
        Files.writeString(dir.resolve("secret.yaml"), head + "source:\n  kind: http\n  url: \"https://x.org/{id}\"\n"
                + "  headers:\n    X-Key: abc\nnetwork: {}\n");
        Files.writeString(dir.resolve("quorum.yaml"), head + "source:\n  kind: http\n  url: \"https://x.org/{id}\"\n"
                + "network:\n  replicas: 2\n  quorum: 3\n");
        Files.writeString(dir.resolve("files.yaml"), head + "source:\n  kind: file\nnetwork: {}\n");
        Files.writeString(dir.resolve("typo.yaml"), head + "source:\n  kind: http\n  url: \"https://x.org/{id}\"\n"
                + "network:\n  replica: 3\n");
        io.fineas.pipeline.processors.ProcessorCatalog catalog = new io.fineas.pipeline.processors.ProcessorCatalog(
                dir, 10, 2, 1, v -> v).load();
        assertThat(catalog.configs()).hasSize(1);
        NetworkSpec spec = catalog.configs().get(0).network();
        assertThat(spec.replicas()).isEqualTo(5);
        assertThat(spec.quorum()).as("a majority by default").isEqualTo(3);
        assertThat(spec.canaryRate()).isEqualTo(0.05);
        assertThat(spec.normaliser().whitespace()).isTrue();
        assertThat(spec.normaliser().htmlElements()).containsExactly(".clock");
        Map<String, String> problems = catalog.problems().stream().collect(Collectors.toMap(
                io.fineas.pipeline.processors.ProcessorCatalog.Problem::file,
                io.fineas.pipeline.processors.ProcessorCatalog.Problem::reason));
        assertThat(problems.get("secret.yaml")).contains("source.headers");
        assertThat(problems.get("quorum.yaml")).contains("quorum");
        assertThat(problems.get("files.yaml")).contains("http sources only");
        assertThat(problems.get("typo.yaml")).contains("network knows");
    }
}
