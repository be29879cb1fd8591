package io.fineas.pipeline.deploy.containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fineas.pipeline.deploy.DeploymentFiles;
import io.fineas.pipeline.deploy.Kustomize;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Kubernetes base (k8s/base), rendered as `kubectl kustomize` renders it and run with `podman kube play`, with the
 * image built from the Dockerfile. Podman runs Pods, Deployments, ConfigMaps and PersistentVolumeClaims; for the rest
 * the test stands in, each step named:
 * <ul>
 * <li>the StatefulSet (rag) becomes a Deployment of one pod with its volume claim (data-rag-0), as the StatefulSet's
 * controller would make it;</li>
 * <li>Services have no podman counterpart: each Service name resolves (hostAliases) to the static IP of the one pod its
 * selector picks, as cluster DNS and kube-proxy would route it;</li>
 * <li>the Secret is made as `kubectl create secret` would (a podman secret, the format podman 4.3 reads);</li>
 * <li>Kafka, MongoDB and Redis, which the base takes from operators or managed services, are pods of the stand-in images
 * under the names pipeline-config.yaml gives them, with one broker (so replication factor 1: the only value changed);</li>
 * <li>the image name: the one built here instead of the registry's.</li>
 * </ul>
 * The ScaledObject, PodDisruptionBudgets and NetworkPolicy have nothing to run them: they stay schema-validated
 * (.ci/validate-deploy). Then: every pod ready, the walkthrough through the gateway pod, and the gateway stopped while
 * the scheduler (a pod of its own here) calls it: the call fails, is retried, and its run arrives once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubeContainers {

    static final String KEY = ComposeContainers.KEY;
    static final String NETWORK = "fineas-kube";
    static final String SUBNET = "10.89.77";
    static final Path WORK = Path.of("target", "containers", "kube").toAbsolutePath();
    static final String IMAGE = "localhost/fineas-pipeline:latest";
    /** The pods, in the order they are played, with their static addresses. */
    static final Map<String, String> IPS = new LinkedHashMap<>();

    static {
        IPS.put("pipeline-kafka-bootstrap", SUBNET + ".10");
        IPS.put("pipeline-mongodb-svc", SUBNET + ".11");
        IPS.put("pipeline-redis", SUBNET + ".12");
        IPS.put("rag", SUBNET + ".20");
        IPS.put("gateway", SUBNET + ".21");
        IPS.put("processors", SUBNET + ".22");
        IPS.put("scheduler", SUBNET + ".23");
    }

    /** The gateway's second replica (the Deployment asks for two). */
    static final String SECOND_GATEWAY = SUBNET + ".24";

    static Engine engine;
    static Api gateway;
    static final Map<String, Object> figures = new LinkedHashMap<>();
    static final List<Path> played = new ArrayList<>();
    static List<ObjectNode> rendered;

    @BeforeAll
    static void prepare() throws IOException {
        engine = new Engine(Path.of("").toAbsolutePath());
        gateway = new Api("http://" + IPS.get("gateway") + ":8080", KEY);
        Files.createDirectories(WORK);
        cleanUp();
        engine.podman("network", "create", "--subnet", SUBNET + ".0/24", NETWORK);
        // kubectl create secret generic pipeline-secrets --from-literal=PIPELINE_ADMIN_KEY=...
        Path secret = WORK.resolve("pipeline-secrets.json");
        Files.writeString(secret, "{\"PIPELINE_ADMIN_KEY\": \""
                + Base64.getEncoder().encodeToString(KEY.getBytes()) + "\"}");
        engine.podman("secret", "create", "pipeline-secrets", secret.toString());
        rendered = Kustomize.render(Path.of("k8s", "base"));
    }

    @AfterAll
    static void tearDown() throws IOException {
        Files.writeString(WORK.resolve("figures.txt"), figures.toString());
        System.out.println("kube figures: " + figures);
        if (engine != null) {
            for (String pod : IPS.keySet()) {
                Engine.Result logs = engine.attempt(Duration.ofMinutes(1), "podman", "pod", "logs", podName(pod));
                Files.writeString(WORK.resolve(pod + ".log"), logs.output());
            }
            if (!Boolean.getBoolean("containers.keep")) {
                cleanUp();
            }
        }
    }

    @Test
    @Order(1)
    void theBasePlaysAndEveryPodIsReady() throws IOException {
        Map<String, List<String>> kinds = new LinkedHashMap<>();
        rendered.forEach(o -> kinds.computeIfAbsent(o.path("kind").asText(), k -> new ArrayList<>())
                .add(o.path("metadata").path("name").asText()));
        figures.put("rendered", kinds);
        assertThat(kinds.keySet()).contains("ConfigMap", "Deployment", "StatefulSet", "Service");

        long start = System.nanoTime();
        // Kafka from the environment docker-compose.yml gives it, advertised under the ConfigMap's name
        Map<String, Object> kafka = DeploymentFiles.service(DeploymentFiles.load("docker-compose.yml"), "kafka");
        Map<String, String> kafkaEnv = DeploymentFiles.composeEnv(kafka);
        kafkaEnv.put("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://pipeline-kafka-bootstrap:9092");
        play("pipeline-kafka-bootstrap", infraPod("pipeline-kafka-bootstrap", "kafka",
                "docker.io/" + kafka.get("image"), kafkaEnv));
        play("pipeline-mongodb-svc", infraPod("pipeline-mongodb-svc", "mongo", "docker.io/library/mongo:7.0",
                Map.of()));
        play("pipeline-redis", infraPod("pipeline-redis", "redis", "docker.io/library/redis:7.4", Map.of()));

        ObjectNode config = find("ConfigMap", "pipeline-config");
        // one broker: the base's replication factor (3, for an operator's cluster) cannot be met
        ((ObjectNode) config.path("data")).put("KAFKA_REPLICATION_FACTOR", "1");
        for (String workload : List.of("rag", "gateway", "processors")) {
            play(workload, config, workload(workload));
        }
        Map<String, Long> ready = new LinkedHashMap<>();
        await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofMillis(500)).until(() -> {
            Map<String, String> pods = Map.of("rag", IPS.get("rag"), "gateway", IPS.get("gateway"),
                    "gateway-2", SECOND_GATEWAY, "processors", IPS.get("processors"));
            pods.forEach((pod, ip) -> {
                if (!ready.containsKey(pod) && new Api("http://" + ip + ":9876", KEY)
                        .status("/observe/health/ready") == 200) {
                    ready.put(pod, (System.nanoTime() - start) / 1_000_000);
                }
            });
            return ready.size() == pods.size();
        });
        figures.put("ready_after_play_ms", ready);
        // the liveness probes became podman health checks
        await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(engine.podman("ps", "--filter",
                "name=" + podName("gateway"), "--format", "{{.Names}} {{.Status}}")).contains("(healthy)"));
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void theWalkthroughThroughTheGatewayPod() {
        long start = System.nanoTime();
        gateway.create("finance", "research-notes", "company-news");
        String run = gateway.collect("finance", "research-notes");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(gateway.summary(run, "research-notes"))
                .isNotNull().containsEntry("items_ok", 3));
        await().atMost(Duration.ofSeconds(90)).until(() -> gateway.inferences("finance", "research-notes") == 3);
        Map<String, Object> search = Map.of("query", "what limits shipments of AI accelerators?", "topic", "finance",
                "k", 2);
        // the gateway forwards /search to the rag Service (RAG_URL http://rag:8080)
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(gateway.call("POST", "/search", search)
                .toString()).contains("semiconductor-supply.md"));
        Map<String, Object> chat = gateway.call("POST", "/chat", Map.of("question",
                "What is the main bottleneck for shipping AI accelerators?", "topic", "finance"));
        assertThat(chat).containsEntry("status", 200);
        assertThat(chat.get("sources").toString()).contains("semiconductor-supply.md");
        // the second gateway replica serves the same topics (MongoDB) under the same keys
        assertThat(new Api("http://" + SECOND_GATEWAY + ":8080", KEY).call("GET", "/topics/finance/segments", null)
                .toString()).contains("research-notes");
        figures.put("walkthrough_ms", (System.nanoTime() - start) / 1_000_000);
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void theSchedulersCallsToAStoppedGatewayAreRetriedAndNothingIsLost() throws IOException {
        engine.podman("pod", "stop", podName("gateway"), "gateway-pod-1");
        long stopped = System.nanoTime();
        play("scheduler", find("ConfigMap", "pipeline-config"), workload("scheduler"));
        Api scheduler = new Api("http://" + IPS.get("scheduler") + ":8080", KEY);
        // the first tick's call finds no gateway: the entry stays due, its outcome says why
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            Map<String, Object> entry = companyNews(scheduler);
            assertThat(entry).isNotNull();
            assertThat(entry.get("last_call")).isNull();
            assertThat(String.valueOf(entry.get("last_outcome"))).contains("could not reach the gateway");
        });
        engine.podman("pod", "start", podName("gateway"), "gateway-pod-1");
        await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> companyNews(scheduler).get("last_call") != null);
        figures.put("scheduled_call_after_gateway_stop_ms", (System.nanoTime() - stopped) / 1_000_000);
        // a run is recorded from the alert topic a moment after its 202 (the restarted gateway's consumer rejoins
        // first): wait for it, then make sure no second one follows
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                .until(() -> scheduledRuns().size() >= 1);
        await().during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofSeconds(1))
                .untilAsserted(() -> assertThat(scheduledRuns()).as("runs the scheduler's company-news entry asked for")
                        .hasSize(1));
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> scheduledRuns() {
        List<Map<String, Object>> runs = (List<Map<String, Object>>) gateway.call("GET", "/runs?limit=100", null)
                .get("runs");
        return runs.stream().filter(r -> "collections/company-news.json".equals(r.get("schedule_entry"))).toList();
    }

    // ---- what is played

    /** A Deployment (or the StatefulSet as one) of the rendered base, made runnable by podman as the class says. */
    static List<ObjectNode> workload(String name) {
        ObjectNode w = find("Deployment", name);
        List<ObjectNode> out = new ArrayList<>();
        if (w == null) {
            ObjectNode set = find("StatefulSet", name);
            assertThat(set).as("a Deployment or StatefulSet named " + name).isNotNull();
            w = set.deepCopy();
            w.put("kind", "Deployment");
            ObjectNode spec = (ObjectNode) w.path("spec");
            ObjectNode podSpec = (ObjectNode) spec.path("template").path("spec");
            for (JsonNode claim : spec.path("volumeClaimTemplates")) {
                String claimName = claim.path("metadata").path("name").asText() + "-" + name + "-0";
                ObjectNode pvc = Kustomize.YAML.createObjectNode().put("apiVersion", "v1")
                        .put("kind", "PersistentVolumeClaim");
                pvc.putObject("metadata").put("name", claimName);
                pvc.set("spec", claim.path("spec").deepCopy());
                out.add(pvc);
                podSpec.withArray("volumes").addObject().put("name", claim.path("metadata").path("name").asText())
                        .putObject("persistentVolumeClaim").put("claimName", claimName);
            }
            spec.remove("volumeClaimTemplates");
            spec.remove("serviceName");
        } else {
            w = w.deepCopy();
        }
        ObjectNode podSpec = (ObjectNode) w.path("spec").path("template").path("spec");
        for (JsonNode c : podSpec.path("containers")) {
            assertThat(c.path("image").asText()).as(name + "'s image").startsWith("ghcr.io/fineas/fineas-pipeline:");
            ((ObjectNode) c).put("image", IMAGE);
            // podman 4.3 publishes every containerPort on the host (two replicas would take the same port): the pods
            // are reached at their own addresses instead, and the probes name their port by number
            Map<String, Integer> ports = new LinkedHashMap<>();
            c.path("ports").forEach(port -> ports.put(port.path("name").asText(), port.path("containerPort").asInt()));
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                JsonNode get = c.path(probe).path("httpGet");
                if (get.isObject() && get.path("port").isTextual()) {
                    assertThat(ports).as(name + "'s " + probe + " port").containsKey(get.path("port").asText());
                    ((ObjectNode) get).put("port", ports.get(get.path("port").asText()));
                }
            }
            ((ObjectNode) c).remove("ports");
        }
        podSpec.set("hostAliases", hostAliases());
        out.add(w);
        return out;
    }

    /** Every Service of the base, and the stores, resolved to the static address of the pod they select. */
    static ArrayNode hostAliases() {
        ArrayNode aliases = Kustomize.YAML.createArrayNode();
        for (ObjectNode o : rendered) {
            if (o.path("kind").asText().equals("Service")) {
                String app = o.path("spec").path("selector").path("app.kubernetes.io/name").asText();
                assertThat(IPS).as("the pod that Service " + o.path("metadata").path("name") + " selects")
                        .containsKey(app);
                aliases.addObject().put("ip", IPS.get(app)).putArray("hostnames")
                        .add(o.path("metadata").path("name").asText());
            }
        }
        for (String store : List.of("pipeline-kafka-bootstrap", "pipeline-mongodb-svc", "pipeline-redis")) {
            aliases.addObject().put("ip", IPS.get(store)).putArray("hostnames").add(store);
        }
        return aliases;
    }

    static ObjectNode infraPod(String name, String container, String image, Map<String, String> env) {
        ObjectNode pod = Kustomize.YAML.createObjectNode().put("apiVersion", "v1").put("kind", "Pod");
        pod.putObject("metadata").put("name", name);
        ObjectNode c = pod.putObject("spec").putArray("containers").addObject().put("name", container)
                .put("image", image);
        ArrayNode e = c.putArray("env");
        new TreeSet<>(env.keySet()).forEach(k -> e.addObject().put("name", k).put("value", env.get(k)));
        return pod;
    }

    static void play(String pod, Object... objects) throws IOException {
        List<ObjectNode> docs = new ArrayList<>();
        for (Object o : objects) {
            if (o instanceof List<?> list) {
                list.forEach(x -> docs.add((ObjectNode) x));
            } else {
                docs.add((ObjectNode) o);
            }
        }
        Path file = WORK.resolve(pod + ".yaml");
        Files.writeString(file, Kustomize.toYaml(docs));
        played.add(file);
        List<String> command = new ArrayList<>(List.of("kube", "play", "--network", NETWORK, "--ip", IPS.get(pod)));
        if (pod.equals("gateway")) {
            command.addAll(List.of("--ip", SECOND_GATEWAY));
        }
        command.add(file.toString());
        engine.podman(command.toArray(String[]::new));
    }

    static ObjectNode find(String kind, String name) {
        return rendered.stream().filter(o -> o.path("kind").asText().equals(kind)
                && o.path("metadata").path("name").asText().equals(name)).findFirst().orElse(null);
    }

    /** podman names a Deployment's pod name-pod-0, a Pod's name-pod... of a Pod its own name. */
    static String podName(String pod) {
        return pod.startsWith("pipeline-") ? pod : pod + "-pod-0";
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> companyNews(Api scheduler) {
        List<Map<String, Object>> entries = (List<Map<String, Object>>) scheduler.call("GET", "/schedule", null)
                .get("entries");
        return entries == null ? null : entries.stream()
                .filter(e -> "collections/company-news.json".equals(e.get("data_collection_file_path")))
                .findFirst().orElse(null);
    }

    static void cleanUp() throws IOException {
        for (String pod : IPS.keySet()) {
            engine.attempt(Duration.ofMinutes(2), "podman", "pod", "rm", "-f", "-t", "5", podName(pod));
        }
        engine.attempt(Duration.ofMinutes(2), "podman", "pod", "rm", "-f", "-t", "5", "gateway-pod-1");
        engine.attempt(Duration.ofMinutes(1), "podman", "volume", "rm", "-f", "data-rag-0");
        engine.attempt(Duration.ofMinutes(1), "podman", "secret", "rm", "pipeline-secrets");
        engine.attempt(Duration.ofMinutes(1), "podman", "network", "rm", "-f", NETWORK);
    }
}
