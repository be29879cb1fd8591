package io.fineas.pipeline.deploy.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped docker-compose.yml, run for real on the image built from the Dockerfile (podman's Docker API and
 * docker-compose 1.29; .ci/containers/run builds the images first). Nothing of the file is changed: the host ports
 * and the mounted folders are the variables the file offers (GATEWAY_PORT, RAG_PORT, PROCESSORS_HOST_DIR,
 * SCHEDULES_HOST_DIR). Not part of `mvn verify`: `mvn -Pcontainers test` after the images are built.
 *
 * <p>In order: up with health gating (time to healthy per service), the README walkthrough through the published
 * ports, processors scaled to two (each alert runs once), the RAG container killed with SIGKILL mid-analysis and
 * started (every record analysed once, the vectors exact), down and up with the volumes kept (topics, keys, vectors,
 * inferences and the schedule's last calls still there), down -v and up (a fresh, working pipeline).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeContainers {

    static final String PROJECT = "fineasci";
    static final String KEY = "c7a4e1d8b5f2a9c6e3d0b7f4a1c8e5d2b9f6a3c0e7d4b1f8a5c2e9d6b3f0a7c4";
    static final Path WORK = Path.of("target", "containers", "compose").toAbsolutePath();
    static final int GATEWAY_PORT = Integer.getInteger("containers.gateway-port", 18080);
    static final int RAG_PORT = Integer.getInteger("containers.rag-port", 18081);
    static final int CRANE_DOCS = 120;
    static final List<String> STORES = List.of("kafka", "mongo", "redis");
    static final List<String> PIPELINE = List.of("gateway", "processors", "rag");

    static Engine engine;
    static Api gateway;
    static Api rag;
    static final Map<String, Object> figures = new LinkedHashMap<>();
    // what the walkthrough made, looked for again after down and up
    static String analystKey;
    static String scheduledLastCall;

    @BeforeAll
    static void prepare() throws IOException {
        Path project = Path.of("").toAbsolutePath();
        engine = new Engine(project).env("PIPELINE_ADMIN_KEY", KEY)
                .env("GATEWAY_PORT", "127.0.0.1:" + GATEWAY_PORT).env("RAG_PORT", "127.0.0.1:" + RAG_PORT)
                .env("PROCESSORS_HOST_DIR", WORK.resolve("processors-yaml").toString())
                .env("SCHEDULES_HOST_DIR", WORK.resolve("schedules").toString())
                // the node of aNodeFromItsOwnComposeFile...: the gateway by its service name, the source on the
                // project's private network
                .env("GATEWAY_URL", "http://gateway:8080").env("NODE_OPERATOR", "CI Operator")
                .env("NODE_CONTACT", "ci@example.org").env("NODE_ALLOW_PRIVATE_NETWORK", "true");
        gateway = new Api("http://127.0.0.1:" + GATEWAY_PORT, KEY);
        rag = new Api("http://127.0.0.1:" + RAG_PORT, KEY);
        writeFolders(project);
        compose(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
    }

    @AfterAll
    static void tearDown() throws IOException {
        Files.createDirectories(WORK);
        Files.writeString(WORK.resolve("figures.txt"), figures.toString());
        System.out.println("compose figures: " + figures);
        if (engine != null) {
            for (String service : List.of("gateway", "processors", "rag", "kafka", "node")) {
                Engine.Result logs = engine.attempt(Duration.ofMinutes(1), "docker-compose", "-p", PROJECT,
                        "-f", "docker-compose.yml", "-f", "docker-compose.node.yml", "logs", "--no-color", service);
                Files.writeString(WORK.resolve(service + ".log"), logs.output());
            }
            if (!Boolean.getBoolean("containers.keep")) {
                node(Duration.ofMinutes(3), "down", "-v", "--remove-orphans");
            }
        }
    }

    @Test
    @Order(1)
    void upWithHealthGating() {
        Map<String, Long> healthy = upAndTimeHealthy();
        figures.put("healthy_after_up_ms", healthy);
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void theWalkthroughThroughThePublishedPorts() {
        long start = System.nanoTime();
        gateway.create("finance", "research-notes");
        assertThat(gateway.call("GET", "/processors", null).toString()).contains("research-notes");
        String run = gateway.collect("finance", "research-notes");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(gateway.summary(run, "research-notes"))
                .isNotNull().containsEntry("items_ok", 3).containsEntry("records", 3));
        await().atMost(Duration.ofSeconds(90)).until(() -> gateway.inferences("finance", "research-notes") == 3);
        Map<String, Object> search = Map.of("query", "what limits shipments of AI accelerators?", "topic", "finance",
                "k", 2);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(rag.call("POST", "/search", search)
                .toString()).contains("semiconductor-supply.md"));
        Map<String, Object> found = rag.call("POST", "/search", search);
        assertThat(found).containsEntry("status", 200);
        // the gateway forwards /search and /lineage to the RAG container (RAG_URL): one origin for the console
        assertThat(gateway.call("POST", "/search", search)).isEqualTo(found);
        String chunk = (String) ((Map<String, Object>) ((List<?>) found.get("results")).get(0)).get("id");
        Map<String, Object> lineage = gateway.call("GET", "/lineage/" + Api.encode(chunk), null);
        assertThat(lineage).containsEntry("status", 200).isEqualTo(rag.call("GET", "/lineage/" + Api.encode(chunk),
                null));
        assertThat(lineage.toString()).contains(run);
        // the chat answer comes from the RAG container over Kafka (chatbot request and reply topics)
        Map<String, Object> chat = gateway.call("POST", "/chat", Map.of("question",
                "What is the main bottleneck for shipping AI accelerators?", "topic", "finance"));
        assertThat(chat).containsEntry("status", 200);
        assertThat((String) chat.get("answer")).containsIgnoringCase("advanced packaging");
        assertThat(chat.get("sources").toString()).contains("semiconductor-supply.md");
        Map<String, Object> key = gateway.call("POST", "/keys", Map.of("name", "analyst",
                "scopes", List.of("write:finance")));
        assertThat(key).containsEntry("status", 201);
        analystKey = (String) key.get("api_key");
        assertThat(gateway.call("POST", "/topics", Map.of("topic", "Bad.Name", "topic_action", "create")))
                .containsEntry("status", 400).containsEntry("error", "invalid_request");
        Map<String, Object> console = gateway.call("GET", "/", null);
        assertThat(console).containsEntry("status", 200);
        assertThat((String) console.get("body")).contains("<html").contains("console.js");
        figures.put("walkthrough_ms", (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    @Order(3)
    void twoProcessorContainersRunEachAlertOnce() {
        compose(Duration.ofMinutes(3), "up", "-d", "--scale", "processors=2");
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2))
                .until(() -> groupMembers("processor-research-notes") == 2);
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            runs.add(gateway.collect("finance", "research-notes"));
        }
        for (String run : runs) {
            await().atMost(Duration.ofSeconds(90)).until(() -> gateway.summary(run, "research-notes") != null);
        }
        Map<String, Integer> summaries = runSummaries();
        for (String run : runs) {
            assertThat(summaries.get(run)).as("run-status summaries of run " + run).isEqualTo(1);
        }
    }

    @Test
    @Order(4)
    void theRagContainerKilledMidAnalysisCatchesUpExactly() throws Exception {
        gateway.create("cranes", "notes");
        gateway.collect("cranes", "notes");
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100))
                .until(() -> gateway.inferences("cranes", "notes") > 2);
        compose(Duration.ofMinutes(1), "kill", "-s", "SIGKILL", "rag");
        long atKill = gateway.inferences("cranes", "notes");
        long killed = System.nanoTime();
        assertThat(atKill).as("killed mid-analysis").isLessThan(CRANE_DOCS);
        compose(Duration.ofMinutes(2), "start", "rag");
        await().atMost(Duration.ofSeconds(300)).pollInterval(Duration.ofSeconds(1))
                .until(() -> gateway.inferences("cranes", "notes") == CRANE_DOCS && chunks("cranes") == CRANE_DOCS);
        figures.put("rag_kill", Map.of("inferences_at_kill", atKill, "all_analysed_after_ms",
                (System.nanoTime() - killed) / 1_000_000));
        // and nothing more arrives later: once each
        Thread.sleep(5000);
        assertThat(gateway.inferences("cranes", "notes")).isEqualTo(CRANE_DOCS);
        assertThat(chunks("cranes")).isEqualTo(CRANE_DOCS);
        assertThat(rag.call("POST", "/search", Map.of("query", "harbour crane number 77", "topic", "cranes", "k", 3))
                .toString()).contains("crane-77.txt");
    }

    @Test
    @Order(5)
    @SuppressWarnings("unchecked")
    void downAndUpKeepEveryStore() throws Exception {
        // the schedule's entry has been called once (its last call is in Redis, on the redis-data volume)
        await().atMost(Duration.ofSeconds(150)).pollInterval(Duration.ofSeconds(2))
                .until(() -> lastCall() != null);
        scheduledLastCall = lastCall();
        long inferences = gateway.inferences("finance", "research-notes");
        long stopping = System.nanoTime();
        compose(Duration.ofMinutes(5), "down");
        figures.put("down_ms", (System.nanoTime() - stopping) / 1_000_000);
        figures.put("healthy_after_second_up_ms", upAndTimeHealthy());

        assertThat(gateway.call("GET", "/topics", null).toString()).contains("finance").contains("cranes");
        // the analyst's key still opens its topic (keys are in MongoDB, on the mongo-data volume)
        Map<String, Object> asAnalyst = gateway.withKey(analystKey).call("GET", "/topics/finance/segments", null);
        assertThat(asAnalyst).containsEntry("status", 200);
        assertThat(gateway.inferences("finance", "research-notes")).isEqualTo(inferences);
        assertThat(gateway.inferences("cranes", "notes")).isEqualTo(CRANE_DOCS);
        assertThat(chunks("cranes")).isEqualTo(CRANE_DOCS);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(rag.call("POST", "/search",
                Map.of("query", "harbour crane number 12", "topic", "cranes", "k", 3)).toString())
                .contains("crane-12.txt"));
        // not called again: the last call survived in Redis
        assertThat(lastCall()).isEqualTo(scheduledLastCall);
        // and the pipeline still works end to end on the kept data (Kafka's offsets and topics on kafka-data)
        String run = gateway.collect("finance", "research-notes");
        await().atMost(Duration.ofSeconds(60)).until(() -> gateway.summary(run, "research-notes") != null);
    }

    @Test
    @Order(6)
    @SuppressWarnings("unchecked")
    void downWithVolumesThenUpIsAFreshPipeline() throws Exception {
        compose(Duration.ofMinutes(5), "down", "-v");
        figures.put("healthy_after_fresh_up_ms", upAndTimeHealthy());
        assertThat((List<?>) gateway.call("GET", "/topics", null).get("topics")).isEmpty();
        assertThat(gateway.withKey(analystKey).status("/topics")).isEqualTo(401);
        assertThat(chunks("cranes")).isZero();
        gateway.create("finance", "research-notes");
        gateway.collect("finance", "research-notes");
        await().atMost(Duration.ofSeconds(90)).until(() -> gateway.inferences("finance", "research-notes") == 3);
        // ingestion (the vectors) and analysis (the inferences) are consumers of their own: wait for the index too
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(gateway.call("POST", "/chat",
                Map.of("question", "What is the main bottleneck for shipping AI accelerators?", "topic", "finance"))
                .toString()).contains("semiconductor-supply.md"));
    }

    /**
     * A capture node from its own Compose file (docker-compose.node.yml, unchanged) joins the running pipeline's
     * network as an operator would run it beside it: it makes its key on its volume, joins, is approved, captures the
     * tasks of a network processor (replicas 1) from a source on the pipeline's network, and the records reach the
     * analysis with the node in their lineage.
     */
    @Test
    @Order(7)
    @SuppressWarnings("unchecked")
    void aNodeFromItsOwnComposeFileJoinsCapturesAndIsInTheLineage() {
        long start = System.nanoTime();
        node(Duration.ofMinutes(3), "up", "-d", "--no-deps", "node");
        String[] id = new String[1];
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("capture node (node-[0-9a-f]{16})")
                    .matcher(node(Duration.ofMinutes(1), "logs", "--no-color", "node"));
            if (m.find()) {
                id[0] = m.group(1);
            }
            return id[0] != null;
        });
        // it joined by itself (404 until then) and waits for approval (Api's "status" is the HTTP status)
        await().atMost(Duration.ofSeconds(60)).until(() -> gateway.status("/nodes/" + id[0]) == 200);
        assertThat(gateway.call("GET", "/nodes/" + id[0], null)).containsEntry("operator", "CI Operator")
                .containsEntry("receives_tasks", false).containsEntry("why_no_tasks", "the node is pending");
        assertThat(gateway.call("POST", "/nodes/" + id[0] + "/approve", null)).containsEntry("status", 200)
                .containsEntry("receives_tasks", true);
        gateway.create("netpages", "pages");
        gateway.collect("netpages", "pages");
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1))
                .until(() -> gateway.inferences("netpages", "pages") == 3);
        await().atMost(Duration.ofSeconds(30)).until(() -> ((Number) gateway.call("GET", "/nodes/" + id[0], null)
                .get("agreements")).intValue() == 3);
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, Object> found = rag.call("POST", "/search", Map.of("query", "Bulletin percent", "topic",
                    "netpages", "k", 1));
            String chunk = (String) ((Map<String, Object>) ((List<?>) found.get("results")).get(0)).get("id");
            assertThat(gateway.call("GET", "/lineage/" + Api.encode(chunk), null).get("record").toString())
                    .contains(id[0]);
        });
        figures.put("node_joined_and_captured_ms", (System.nanoTime() - start) / 1_000_000);
    }

    /** docker-compose with the node's file beside the pipeline's: the node on the project's network. */
    static String node(Duration deadline, String... args) {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-p", PROJECT, "-f", "docker-compose.yml",
                "-f", "docker-compose.node.yml"));
        command.addAll(List.of(args));
        return engine.run(deadline, command.toArray(String[]::new));
    }

    // ---- the stack

    static String compose(Duration deadline, String... args) {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-p", PROJECT, "-f", "docker-compose.yml"));
        command.addAll(List.of(args));
        return engine.run(deadline, command.toArray(String[]::new));
    }

    /**
     * `up -d`, timed: when each service is first seen healthy (podman ps, every 500 ms; health checks run every 3 s),
     * and the gating proven: no pipeline container runs before Kafka, MongoDB and Redis are healthy.
     */
    static Map<String, Long> upAndTimeHealthy() {
        long start = System.nanoTime();
        CompletableFuture<String> up = CompletableFuture.supplyAsync(() -> compose(Duration.ofMinutes(5), "up", "-d"));
        Map<String, Long> healthy = new LinkedHashMap<>();
        Map<String, Long> running = new HashMap<>();
        long deadline = start + Duration.ofMinutes(5).toNanos();
        while (healthy.keySet().size() < STORES.size() + PIPELINE.size() || !up.isDone()) {
            assertThat(System.nanoTime()).as("all services healthy within 5 minutes; seen healthy: " + healthy)
                    .isLessThan(deadline);
            long now = (System.nanoTime() - start) / 1_000_000;
            for (String line : engine.podman("ps", "--filter", "label=com.docker.compose.project=" + PROJECT,
                    "--format", "{{.Names}}|{{.Status}}").split("\n")) {
                String[] parts = line.split("\\|");
                if (parts.length < 2) {
                    continue;
                }
                String service = parts[0].replaceFirst("^" + PROJECT + "_", "").replaceFirst("_\\d+$", "");
                running.putIfAbsent(service, now);
                if (parts[1].contains("(healthy)")) {
                    healthy.putIfAbsent(service, now);
                }
            }
            if (up.isCompletedExceptionally()) {
                up.join();
            }
            sleep(500);
        }
        long storesHealthy = STORES.stream().mapToLong(healthy::get).max().orElseThrow();
        for (String service : PIPELINE) {
            assertThat(running.get(service)).as(service + " started after the stores were healthy (at "
                    + storesHealthy + " ms)").isGreaterThanOrEqualTo(storesHealthy - 1000);
        }
        return healthy;
    }

    // ---- what the stores hold

    /** Members of a consumer group, asked of the broker in the kafka container with Kafka's own tool. */
    static int groupMembers(String group) {
        Engine.Result r = engine.attempt(Duration.ofMinutes(1), "docker-compose", "-p", PROJECT, "exec", "-T",
                "kafka", "/opt/kafka/bin/kafka-consumer-groups.sh", "--bootstrap-server", "localhost:9092",
                "--describe", "--group", group, "--members");
        return (int) r.output().lines().filter(l -> l.startsWith(group + " ")).count();
    }

    /** How many run summaries each run id has on the run-status topic (Kafka's console consumer, keys printed). */
    static Map<String, Integer> runSummaries() {
        String out = engine.run(Duration.ofMinutes(2), "docker-compose", "-p", PROJECT, "exec", "-T", "kafka",
                "/opt/kafka/bin/kafka-console-consumer.sh", "--bootstrap-server", "localhost:9092",
                "--topic", "run-status", "--from-beginning", "--timeout-ms", "8000",
                "--property", "print.key=true", "--property", "key.separator=|");
        Map<String, Integer> counts = new HashMap<>();
        out.lines().filter(l -> l.contains("|{")).forEach(l -> counts.merge(l.substring(0, l.indexOf('|')), 1,
                Integer::sum));
        return counts;
    }

    /** The live chunks of a topic in the RAG container's Lucene index, read from its volume by another reader. */
    static int chunks(String topic) throws IOException {
        Engine.Result where = engine.attempt(Duration.ofMinutes(1), "podman", "volume", "inspect",
                PROJECT + "_rag-data", "--format", "{{.Mountpoint}}");
        if (where.exit() != 0) {
            return 0;
        }
        Path vectors = Path.of(where.output().trim(), "vectors");
        if (!Files.isDirectory(vectors)) {
            return 0;
        }
        try (FSDirectory dir = FSDirectory.open(vectors)) {
            if (!DirectoryReader.indexExists(dir)) {
                return 0;
            }
            try (DirectoryReader reader = DirectoryReader.open(dir)) {
                return new IndexSearcher(reader).count(new TermQuery(new Term("topic", topic)));
            }
        }
    }

    @SuppressWarnings("unchecked")
    static String lastCall() {
        Map<String, Object> schedule = gateway.call("GET", "/schedule", null);
        List<Map<String, Object>> entries = (List<Map<String, Object>>) schedule.get("entries");
        if (entries == null || entries.isEmpty()) {
            return null;
        }
        Object last = entries.get(0).get("last_call");
        return last == null ? null : last.toString();
    }

    // ---- the folders the compose file mounts

    /** The shipped processors plus one of many small documents (cranes), and a schedule of one daily entry. */
    static void writeFolders(Path project) throws IOException {
        Path processors = WORK.resolve("processors-yaml");
        Path schedules = WORK.resolve("schedules");
        deleteTree(WORK.resolve("processors-yaml"));
        deleteTree(schedules);
        copyTree(project.resolve("processors-yaml"), processors);
        Files.createDirectories(processors.resolve("cranes"));
        for (int i = 0; i < CRANE_DOCS; i++) {
            Files.writeString(processors.resolve("cranes/crane-" + i + ".txt"), "Harbour crane number " + i
                    + " lifts " + (i * 7 + 3) + " containers an hour at berth " + (i % 5) + ". Its operator logged "
                    + "maintenance on the hoist after shift " + i + ".");
        }
        Files.writeString(processors.resolve("cranes.yaml"), "topic: cranes\nsegment: notes\n"
                + "data_list: cranes.data.json\nsource:\n  kind: file\n  root: .\n");
        Files.writeString(processors.resolve("cranes.data.json"), "[{\"path\": \"cranes\"}]");
        // a network processor: its items are captured by a node; the pages are the gateway's canary pages (any id has
        // one), a source every container of the project reaches
        Files.writeString(processors.resolve("netpages.yaml"), "topic: netpages\nsegment: pages\n"
                + "data_list: netpages.data.json\nsource:\n  kind: http\n  url: \"http://gateway:8080/canary/{page}\"\n"
                + "  allow_private_network: true\nnetwork:\n  replicas: 1\n  quorum: 1\n  canary_rate: 0\n");
        Files.writeString(processors.resolve("netpages.data.json"), "[{\"page\": \"" + "1".repeat(32) + "\"}, "
                + "{\"page\": \"" + "2".repeat(32) + "\"}, {\"page\": \"" + "3".repeat(32) + "\"}]");
        Files.createDirectories(schedules.resolve("collections"));
        Files.writeString(schedules.resolve("collections/notes.json"),
                "[{\"topic\": \"finance\", \"segment_targets\": [\"research-notes\"]}]");
        Files.writeString(schedules.resolve("schedule.json"),
                "[{\"data_collection_file_path\": \"collections/notes.json\", \"schedule\": 1}]");
        // the containers run as uid 10001: everything readable by all
        try (Stream<Path> all = Stream.concat(Files.walk(processors), Files.walk(schedules))) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString(
                        Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> all = Files.walk(dir)) {
                for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

}
