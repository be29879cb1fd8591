package io.fineas.pipeline.network;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.support.KafkaRecords;
import io.fineas.pipeline.support.PipelineProcess;
import io.fineas.pipeline.support.SourceServer;
import io.fineas.pipeline.support.TestNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The open capture network as it is deployed: the pipeline as separate processes (the embedded stores, the gateway
 * with the RAG service, the processors) and five capture nodes, each the packaged jar with PIPELINE_ROLES=node and a
 * key of its own, plus two stand-ins that speak the protocol: one signs altered content, one submits without
 * fetching. A network processor with replicas 3 and quorum 2 captures 30 items of a local source. One node is
 * SIGKILLed holding leases, and the processors process is SIGKILLed mid-agreement and started again. Every item is
 * published with the honest content and stored exactly once (one chunk, one inference), the agreeing nodes in its
 * lineage; the liar ends below the
 * credibility threshold and gets no tasks; the fabricator is caught by a canary; the killed node's leases lapse and its
 * tasks complete without it.
 */
class NodeNetworkIT {

    private static final Path LOGS = Path.of("target", "node-network");
    private static final String TOPIC = "crowd";
    private static final String SEGMENT = "pages";
    private static final int ITEMS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NODE_ID = Pattern.compile("capture node (node-[0-9a-f]{16})");

    @Test
    void nodesCaptureAgreeAndSurviveKillsWithEveryItemStoredOnce(@TempDir Path dir) throws Exception {
        Path processors = dir.resolve("processors-yaml");
        Files.createDirectories(processors);
        try (SourceServer source = new SourceServer()) {
            for (int i = 0; i < ITEMS; i++) {
                source.document("p" + i, "Page " + i + ": the tide gauge at pier " + i + " rose by " + (i * 3 + 2)
                        + " centimetres overnight.");
            }
            // each capture takes a while: a node is killed while it holds tasks, not between them
            source.delay(200);
            Files.writeString(processors.resolve("pages.data.json"), JSON.writeValueAsString(IntStream.range(0, ITEMS)
                    .mapToObj(i -> Map.of("page", "p" + i)).toList()));
            Files.writeString(processors.resolve("pages.yaml"), "topic: " + TOPIC + "\nsegment: " + SEGMENT
                    + "\ndata_list: pages.data.json\nsource:\n  kind: http\n  url: \"" + source.baseUrl()
                    + "/doc/{page}\"\n  allow_private_network: true\nnetwork:\n  replicas: 3\n  quorum: 2\n"
                    + "  canary_rate: 0.4\n  lease_ms: 4000\n  deadline_ms: 120000\n");

            try (PipelineProcess infra = new PipelineProcess(dir.resolve("infra"), LOGS.resolve("infra"), Map.of(
                    "PIPELINE_ROLES", "infra", "PIPELINE_EMBEDDED_KAFKA", "true", "PIPELINE_EMBEDDED_MONGODB",
                    "true")).start()) {
                Map<String, String> shared = Map.of("KAFKA_BOOTSTRAP_SERVERS", infra.kafka(), "MONGODB_URI",
                        infra.mongoUri(), "KAFKA_SESSION_TIMEOUT_MS", "10000");
                String run = Long.toHexString(System.nanoTime());
                try (PipelineProcess gateway = role(dir, "gateway", shared, Map.of("PIPELINE_ROLES", "gateway,rag",
                        "GATEWAY_RATE_LIMIT_PREFIX", "network-rate:" + run,
                        // seven nodes join from one address here
                        "GATEWAY_RATE_JOIN_BURST", "100")).start();
                        MongoClient mongo = MongoClients.create(infra.mongoUri())) {
                    Map<String, String> workerEnv = Map.of("PIPELINE_ROLES", "processors", "PROCESSORS_DIR",
                            processors.toString(), "NETWORK_CANARY_URL", gateway.url("/canary/{canary}"));
                    PipelineProcess workers = role(dir, "processors", shared, workerEnv).start();
                    List<PipelineProcess> nodes = new ArrayList<>();
                    AtomicBoolean standInsRun = new AtomicBoolean(true);
                    List<Thread> standIns = new ArrayList<>();
                    try {
                        for (int i = 1; i <= 5; i++) {
                            nodes.add(new PipelineProcess(dir.resolve("node-" + i), LOGS.resolve("node-" + i), Map.of(
                                    "PIPELINE_ROLES", "node", "GATEWAY_URL", gateway.url(""), "NODE_OPERATOR",
                                    "Operator " + i, "NODE_CONTACT", "ops" + i + "@example.org",
                                    "NODE_ALLOW_PRIVATE_NETWORK", "true", "NODE_WORKERS", "3")).launch());
                        }
                        for (PipelineProcess n : nodes) {
                            n.awaitReady(Duration.ofSeconds(120));
                        }
                        List<String> ids = new ArrayList<>();
                        for (PipelineProcess n : nodes) {
                            await().atMost(Duration.ofSeconds(30)).until(() -> NODE_ID.matcher(n.output()).find());
                            Matcher m = NODE_ID.matcher(n.output());
                            m.find();
                            ids.add(m.group(1));
                        }
                        // each node joined by itself and waits for approval
                        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(nodeIds(gateway))
                                .containsAll(ids));
                        for (String id : ids) {
                            assertThat(gateway.call("GET", "/nodes/" + id, null)).containsEntry("status", "pending");
                            assertThat(gateway.call("POST", "/nodes/" + id + "/approve", null))
                                    .containsEntry("status", "approved");
                        }
                        String g = gateway.url("").replaceAll("/$", "");
                        TestNode liar = TestNode.liar(g, "Lima Ltd");
                        TestNode maker = TestNode.fabricator(g, "Foxtrot Ltd");
                        for (TestNode s : List.of(liar, maker)) {
                            assertThat(s.join().statusCode()).isEqualTo(201);
                            assertThat(gateway.call("POST", "/nodes/" + s.id() + "/approve", null))
                                    .containsEntry("status", "approved");
                            Thread t = new Thread(() -> {
                                while (standInsRun.get()) {
                                    try {
                                        s.work();
                                        Thread.sleep(100);
                                    } catch (AssertionError | RuntimeException e) {
                                        // refused once excluded, or the gateway busy: try again
                                    } catch (InterruptedException e) {
                                        return;
                                    }
                                }
                            }, "stand-in-" + s.operator);
                            t.setDaemon(true);
                            t.start();
                            standIns.add(t);
                        }

                        assertThat(gateway.call("POST", "/topics", Map.of("topic", TOPIC, "topic_action", "create")))
                                .containsEntry("status", 201);
                        assertThat(gateway.call("POST", "/segments", Map.of("topic", TOPIC, "segment", SEGMENT,
                                "segment_action", "create"))).containsEntry("status", 201);
                        assertThat(gateway.call("POST", "/collect", List.of(Map.of("topic", TOPIC,
                                "segment_targets", List.of(SEGMENT))))).containsEntry("status", 202);

                        MongoDatabase system = mongo.getDatabase("fineas_system");
                        // node 1 is killed while it holds leases it has not submitted
                        String killed = ids.get(0);
                        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> system
                                .getCollection("node_leases").countDocuments(Filters.and(Filters.eq("node_id", killed),
                                        Filters.eq("submitted", false))) > 0);
                        nodes.get(0).kill();
                        List<org.bson.Document> heldAtKill = new ArrayList<>();
                        system.getCollection("node_leases").find(Filters.and(Filters.eq("node_id", killed),
                                Filters.eq("submitted", false))).into(heldAtKill);
                        // the processors are killed mid-agreement, and started again
                        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> system
                                .getCollection("node_tasks").countDocuments(Filters.eq("state", "settled")) >= 3);
                        long settledBefore = system.getCollection("node_tasks").countDocuments(
                                Filters.eq("state", "settled"));
                        workers.kill();
                        workers.start();

                        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).untilAsserted(
                                () -> assertThat(pages(records(infra))).hasSize(ITEMS));
                        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(system
                                .getCollection("node_tasks").countDocuments(Filters.eq("state", "open"))).isZero());
                        assertThat(settledBefore).isLessThan(ITEMS);

                        // every item stored exactly once, with the honest content, captured by nodes that told the
                        // truth. The data topic may repeat a record whose settlement the kill interrupted between
                        // Kafka's acknowledgement and the capture ledger's write (the recovery sends the same
                        // settlement again: the same content and agreeing nodes, never a second agreement); the
                        // stores hold it once (docs/GUARANTEES.md). CI of 9dfe3fc saw one such repeat in 31 records.
                        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(
                                () -> assertThat(gateway.inferences(TOPIC, SEGMENT)).isEqualTo(ITEMS));
                        assertThat(gateway.chunks()).isEqualTo(ITEMS);
                        List<Map<String, Object>> records = records(infra);
                        Map<String, Map<String, Object>> pages = pages(records);
                        for (Map<String, Object> r : records) {
                            Map<String, Object> first = pages.get(page(r));
                            assertThat(r.get("content_hash")).isEqualTo(first.get("content_hash"));
                            assertThat(r.get("captured_by")).isEqualTo(first.get("captured_by"));
                        }
                        System.out.printf("data topic: %d records for %d items%n", records.size(), pages.size());
                        Set<String> honest = new HashSet<>(ids);
                        for (Map<String, Object> r : records) {
                            String page = page(r);
                            int i = Integer.parseInt(page.substring(1));
                            assertThat((String) r.get("content")).contains("pier " + i + " rose by " + (i * 3 + 2));
                            Object by = r.get("captured_by");
                            if (by != null) {
                                assertThat(honest).containsAll((List<String>) by);
                                assertThat((List<?>) by).hasSizeGreaterThanOrEqualTo(2);
                            }
                        }

                        // the liar is below the threshold (or caught by a canary) and is given nothing more
                        Map<String, Object> lying = gateway.call("GET", "/nodes/" + liar.id(), null);
                        assertThat(lying).containsEntry("receives_tasks", false);
                        assertThat(((Number) lying.get("credibility")).doubleValue()).isLessThan(0.3);
                        assertThat(((Number) lying.get("agreements")).intValue()).isZero();
                        // the fabricator is caught by a canary; its agreements are listed for review
                        Map<String, Object> making = gateway.call("GET", "/nodes/" + maker.id(), null);
                        assertThat(making).containsKey("flagged").containsKey("review")
                                .containsEntry("receives_tasks", false);
                        // the killed node's tasks all completed without it; each whose agreement needed a node that
                        // leased it only after the lapse (that node's capture is among the agreeing ones, so the
                        // verdict came after the lapse) counts it silent. (Leased after the lapse is not enough: a
                        // task tallied before the processors' own kill stays open until they are back, and another
                        // node may lease it meanwhile without being needed; CI of a128dde..f9395c0.)
                        assertThat(heldAtKill).isNotEmpty();
                        int waitedForLapse = 0;
                        for (org.bson.Document lease : heldAtKill) {
                            org.bson.Document task = system.getCollection("node_tasks")
                                    .find(Filters.eq("_id", lease.getString("task_id"))).first();
                            assertThat(task.getString("state")).isEqualTo("settled");
                            assertThat(task.getList("agreed_by", String.class)).doesNotContain(killed);
                            List<String> agreeing = task.getList("agreed_by", String.class);
                            if (system.getCollection("node_leases").countDocuments(Filters.and(
                                    Filters.eq("task_id", lease.getString("task_id")), Filters.in("node_id", agreeing),
                                    Filters.gte("leased_at", lease.getLong("lease_until")))) > 0) {
                                waitedForLapse++;
                            }
                        }
                        // counted just after the task is marked settled (NetworkSettlement.agreed): read it once
                        // the count has caught up
                        int lapsed = waitedForLapse;
                        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(((Number) gateway.call(
                                "GET", "/nodes/" + killed, null).get("silences")).intValue())
                                .isGreaterThanOrEqualTo(lapsed));
                        System.out.printf("killed node: %d leases held at the kill, %d tasks waited for them to lapse%n",
                                heldAtKill.size(), waitedForLapse);
                        for (String id : ids.subList(1, ids.size())) {
                            Map<String, Object> n = gateway.call("GET", "/nodes/" + id, null);
                            assertThat(n).containsEntry("receives_tasks", true);
                            assertThat(((Number) n.get("canaries_failed")).intValue()).isZero();
                        }
                        // the disputes carry the evidence
                        List<ConsumerRecord<String, String>> disputes = KafkaRecords.readAll(infra.kafka(),
                                "node.disputes", Duration.ofSeconds(2));
                        assertThat(disputes).anySatisfy(d -> assertThat(d.value()).contains(maker.id()));

                        // a node revoked through one gateway replica is refused by another at its next request
                        try (PipelineProcess second = role(dir, "gateway-2", shared, Map.of("PIPELINE_ROLES", "gateway",
                                "GATEWAY_RATE_LIMIT_PREFIX", "network-rate-2:" + run)).start()) {
                            TestNode late = TestNode.honest(second.url("").replaceAll("/$", ""), "Romeo Ltd");
                            assertThat(late.join().statusCode()).isEqualTo(201);
                            assertThat(gateway.call("POST", "/nodes/" + late.id() + "/approve", null))
                                    .containsEntry("status", "approved");
                            assertThat(late.pollResponse(0).statusCode()).isEqualTo(200);
                            assertThat(gateway.call("POST", "/nodes/" + late.id() + "/revoke", null))
                                    .containsEntry("status", "revoked");
                            assertThat(late.pollResponse(0).statusCode()).isEqualTo(403);
                        }

                        // lineage names the agreeing nodes of a cited chunk
                        await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                            Map<String, Object> found = gateway.call("POST", "/search", Map.of("query",
                                    "tide gauge at pier 7", "topic", TOPIC, "k", 5));
                            assertThat(found).containsEntry("status", 200);
                            boolean named = false;
                            for (Object hit : (List<?>) found.get("results")) {
                                String chunk = (String) ((Map<?, ?>) hit).get("id");
                                Map<String, Object> lineage = gateway.call("GET", "/lineage/" + java.net.URLEncoder
                                        .encode(chunk, java.nio.charset.StandardCharsets.UTF_8), null);
                                Object by = ((Map<?, ?>) lineage.get("record")).get("captured_by");
                                if (by instanceof List<?> l && !l.isEmpty()) {
                                    assertThat(honest).containsAll((List<String>) l);
                                    named = true;
                                }
                            }
                            assertThat(named).isTrue();
                        });
                    } finally {
                        standInsRun.set(false);
                        for (PipelineProcess n : nodes) {
                            n.stop();
                        }
                        workers.stop();
                    }
                }
            }
        }
    }

    private static Set<String> nodeIds(PipelineProcess gateway) {
        Set<String> out = new HashSet<>();
        Object nodes = gateway.call("GET", "/nodes", null).get("nodes");
        if (nodes instanceof List<?> list) {
            list.forEach(n -> out.add((String) ((Map<?, ?>) n).get("node_id")));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> records(PipelineProcess infra) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ConsumerRecord<String, String> r : KafkaRecords.readAll(infra.kafka(), "data-" + TOPIC,
                Duration.ofSeconds(2))) {
            out.add(JSON.readValue(r.value(), Map.class));
        }
        return out;
    }

    private static String page(Map<String, Object> record) {
        return (String) ((Map<?, ?>) record.get("parameters")).get("page");
    }

    /** The first record of each item (page) on the data topic. */
    private static Map<String, Map<String, Object>> pages(List<Map<String, Object>> records) {
        Map<String, Map<String, Object>> first = new LinkedHashMap<>();
        records.forEach(r -> first.putIfAbsent(page(r), r));
        return first;
    }

    private static PipelineProcess role(Path dir, String name, Map<String, String> shared, Map<String, String> own) {
        return PipelineProcess.role(dir, LOGS, name, shared, own);
    }
}
