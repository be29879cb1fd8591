package io.fineas.pipeline.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fineas.pipeline.support.ApplicationVariables;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One description, three files: docker-compose.yml, akash.sdl and k8s/base (rendered) describe the same pipeline.
 * Each file is read into the same shape (which container runs which roles, with which image, variables, API port,
 * data volume, health probe and grace period) and compared; a variable given in one file and forgotten in another
 * fails with its name, unless it is listed here as belonging to one platform, with the reason.
 */
class DeploymentAgreementTest {

    /** A pipeline container as every file can say it. */
    record Unit(Set<String> roles, String image, Map<String, String> env, boolean servesApi, String dataMount,
            String healthPath, Integer healthPort, Integer graceSeconds) {
    }

    static final Set<String> ROLES = Set.of("gateway", "scheduler", "processors", "rag");
    /** What each role reads from its environment to reach what it needs (not defaults of the image). */
    static final Map<String, Set<String>> NEEDS = Map.of(
            "gateway", Set.of("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "REDIS_URL", "RAG_URL", "PIPELINE_ADMIN_KEY"),
            // the admin key is the scheduler's key and what its X-Scheduler-Token is derived from, as the gateway does
            "scheduler", Set.of("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "REDIS_URL", "GATEWAY_URL",
                    "PIPELINE_ADMIN_KEY"),
            "processors", Set.of("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"),
            "rag", Set.of("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI"));
    /** Variables one platform sets and the others need not, and why. */
    static final Map<String, Map<String, String>> PLATFORM_ONLY = Map.of(
            "akash", Map.of(
                    "CHAT_TIMEOUT_MS", "the provider's ingress cuts a request at 60 s",
                    "GATEWAY_REQUEST_TIMEOUT_MS", "the provider's ingress cuts a request at 60 s",
                    "LLM_PROVIDER", "says the offline model on a public provider explicitly"),
            "k8s", Map.of(
                    "KAFKA_PARTITIONS", "an operator's Kafka cluster: as many partitions as processor replicas",
                    "KAFKA_REPLICATION_FACTOR", "an operator's Kafka cluster of three brokers",
                    "KAFKA_SESSION_TIMEOUT_MS", "pods rescheduled across nodes rejoin their groups quickly",
                    "MANAGEMENT_HOST", "the image's own default, repeated for clusters that override images' ENV"),
            "compose", Map.of());

    /** What a role needs but a platform's file must not hold, and why. */
    static final Map<String, Map<String, String>> NOT_IN_FILE = Map.of("akash", Map.of("PIPELINE_ADMIN_KEY",
            "an SDL has no secrets: the key is generated at the first start, or added at deploy time; the scheduler, in"
                    + " the gateway's process, posts with its process token (ScopePolicy.SCHEDULER)"));

    @Test
    void theThreeFilesDescribeOnePipeline() throws IOException {
        assertThat(problems(compose(load("docker-compose.yml")), akash(load("akash.sdl")), k8s(Kustomize.render(
                Path.of("k8s", "base"))))).isEmpty();
    }

    @Test
    void aVariableAddedToOneFileAndForgottenInAnotherIsNamed() throws IOException {
        Map<String, Object> compose = load("docker-compose.yml");
        serviceEnv(compose, "processors").put("CAPTURE_WORKERS_MAX", "8");
        assertThat(problems(compose(compose), akash(load("akash.sdl")), k8s(Kustomize.render(Path.of("k8s", "base")))))
                .anySatisfy(p -> assertThat(p).contains("CAPTURE_WORKERS_MAX").contains("compose"));
    }

    @Test
    void aRoleLeftWithoutWhatItNeedsIsNamed() throws IOException {
        List<ObjectNode> k8s = Kustomize.render(Path.of("k8s", "base"));
        // the scheduler's first manifest: the key, and so its token, only as SCHEDULER_API_KEY
        ObjectNode scheduler = k8s.stream().filter(o -> o.path("metadata").path("name").asText().equals("scheduler"))
                .findFirst().orElseThrow();
        ObjectNode container = (ObjectNode) scheduler.path("spec").path("template").path("spec").path("containers")
                .get(0);
        container.withArray("envFrom").remove(1);
        assertThat(problems(compose(load("docker-compose.yml")), akash(load("akash.sdl")), k8s(k8s)))
                .anySatisfy(p -> assertThat(p).contains("k8s").contains("scheduler").contains("PIPELINE_ADMIN_KEY"));
    }

    @Test
    void everyVariableTheFilesSetIsOneTheApplicationReads() throws IOException {
        Set<String> read = ApplicationVariables.read();
        Map<String, List<Unit>> files = Map.of("compose", compose(load("docker-compose.yml")), "akash",
                akash(load("akash.sdl")), "k8s", k8s(Kustomize.render(Path.of("k8s", "base"))));
        List<String> unknown = new ArrayList<>();
        files.forEach((file, units) -> units.forEach(u -> u.env().keySet().stream().filter(v -> !read.contains(v))
                .forEach(v -> unknown.add(file + ": " + v + " (roles " + u.roles() + ")"))));
        assertThat(unknown).as("variables no part of the application reads").isEmpty();
    }

    /**
     * A capture node's files (docker-compose.node.yml, akash.node.sdl): the node role alone, the gateway's URL and who
     * operates it, its key on a volume at the image's data folder, and nothing of the pipeline's stores or keys.
     */
    @Test
    void aNodesFilesRunTheNodeRoleAloneWithItsKeyOnAVolume() throws IOException {
        Set<String> read = ApplicationVariables.read();
        for (List<Unit> units : List.of(compose(load("docker-compose.node.yml")), akash(load("akash.node.sdl")))) {
            assertThat(units).hasSize(1);
            Unit node = units.get(0);
            assertThat(node.roles()).containsExactly("node");
            assertThat(node.env()).containsKeys("GATEWAY_URL", "NODE_OPERATOR", "NODE_CONTACT")
                    .doesNotContainKeys("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "REDIS_URL", "PIPELINE_ADMIN_KEY");
            assertThat(read).containsAll(node.env().keySet());
            assertThat(node.dataMount()).isEqualTo("/var/lib/pipeline");
        }
    }

    @Test
    void theImageHasWhatTheFilesCallAndOpenWhatTheyReach() throws IOException {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        // the Compose health check runs curl inside the image
        assertThat(dockerfile).containsPattern("apt-get install[^\\n]*\\bcurl\\b");
        assertThat(dockerfile).contains("EXPOSE 8080 9876").contains("USER 10001")
                .contains("VOLUME /var/lib/pipeline");
    }

    @Test
    void kafkaIsConfiguredAlikeInComposeAndAkash() throws IOException {
        Map<String, Object> compose = DeploymentFiles.service(load("docker-compose.yml"), "kafka");
        Map<String, Object> akash = DeploymentFiles.service(load("akash.sdl"), "kafka");
        assertThat(DeploymentFiles.akashEnv(akash)).isEqualTo(DeploymentFiles.composeEnv(compose));
        assertThat(akash.get("image")).isEqualTo(compose.get("image"));
    }

    // ---- the comparison

    static List<String> problems(List<Unit> compose, List<Unit> akash, List<Unit> k8s) {
        Map<String, List<Unit>> files = new LinkedHashMap<>();
        files.put("compose", compose);
        files.put("akash", akash);
        files.put("k8s", k8s);
        List<String> problems = new ArrayList<>();
        files.forEach((file, units) -> {
            Set<String> roles = new TreeSet<>();
            units.forEach(u -> u.roles().forEach(r -> {
                if (!roles.add(r)) {
                    problems.add(file + ": role " + r + " runs in two containers");
                }
            }));
            if (!roles.equals(new TreeSet<>(ROLES))) {
                problems.add(file + ": runs roles " + roles + ", not " + new TreeSet<>(ROLES));
            }
            units.forEach(u -> u.roles().forEach(r -> NEEDS.get(r).stream().filter(v -> !u.env().containsKey(v))
                    .filter(v -> !NOT_IN_FILE.getOrDefault(file, Map.of()).containsKey(v))
                    .forEach(v -> problems.add(file + ": role " + r + " is not given " + v))));
            Set<String> images = new TreeSet<>();
            units.forEach(u -> images.add(u.image()));
            if (images.size() != 1) {
                problems.add(file + ": the pipeline containers run different images " + images);
            }
            for (Unit u : units) {
                boolean api = u.roles().contains("gateway") || u.roles().contains("rag");
                if (api != u.servesApi()) {
                    problems.add(file + ": " + u.roles() + (api ? " does not expose" : " exposes") + " the API port 8080");
                }
                String mount = u.roles().contains("rag") ? "/var/lib/pipeline" : null;
                if (mount != null && !mount.equals(u.dataMount())) {
                    problems.add(file + ": the RAG index is not on a volume at /var/lib/pipeline (" + u.dataMount()
                            + ")");
                }
                if (!file.equals("akash")) {
                    if (!"/observe/health/ready".equals(u.healthPath()) || !Integer.valueOf(9876).equals(u.healthPort())) {
                        problems.add(file + ": " + u.roles() + " probes " + u.healthPort() + u.healthPath()
                                + ", not readiness at 9876/observe/health/ready");
                    }
                    if (!u.roles().equals(Set.of("scheduler")) && !Integer.valueOf(60).equals(u.graceSeconds())) {
                        problems.add(file + ": " + u.roles() + " is given " + u.graceSeconds()
                                + " s to stop, not 60 (SHUTDOWN_TIMEOUT_SECONDS 50 and a margin)");
                    }
                }
            }
        });
        // the variables: each set somewhere is set everywhere, but for one platform's own
        Map<String, Set<String>> where = new TreeMap<>();
        files.forEach((file, units) -> units.forEach(u -> u.env().keySet().forEach(v ->
                where.computeIfAbsent(v, k -> new TreeSet<>()).add(file))));
        where.forEach((variable, in) -> {
            if (in.size() < files.size()) {
                boolean explained = in.stream().allMatch(f -> PLATFORM_ONLY.get(f).containsKey(variable))
                        || files.keySet().stream().filter(f -> !in.contains(f))
                                .allMatch(f -> NOT_IN_FILE.getOrDefault(f, Map.of()).containsKey(variable));
                if (!explained) {
                    problems.add(variable + " is set in " + in + " only: add it to the others, or to PLATFORM_ONLY"
                            + " with the reason");
                }
            }
        });
        String akashImage = akash.get(0).image();
        String k8sImage = k8s.get(0).image();
        if (!akashImage.equals(k8sImage)) {
            problems.add("akash runs " + akashImage + ", k8s " + k8sImage);
        }
        return problems;
    }

    // ---- each file, read into units

    @SuppressWarnings("unchecked")
    static List<Unit> compose(Map<String, Object> doc) {
        Map<String, Object> services = (Map<String, Object>) doc.get("services");
        List<Unit> units = new ArrayList<>();
        services.forEach((name, s) -> {
            Map<String, Object> service = (Map<String, Object>) s;
            Map<String, String> env = DeploymentFiles.composeEnv(service);
            if (!env.containsKey("PIPELINE_ROLES")) {
                return;
            }
            String dataMount = null;
            for (Object v : (List<Object>) service.getOrDefault("volumes", List.of())) {
                String[] parts = String.valueOf(v).split(":");
                if (!parts[0].startsWith(".") && !parts[0].startsWith("$") && parts.length > 1) {
                    dataMount = parts[1];
                }
            }
            String path = null;
            Integer port = null;
            Map<String, Object> health = (Map<String, Object>) service.get("healthcheck");
            if (health != null) {
                Matcher m = Pattern.compile("http://[^:/]+:(\\d+)(/\\S*)").matcher(String.valueOf(health.get("test")));
                if (m.find()) {
                    port = Integer.valueOf(m.group(1));
                    path = m.group(2).replaceAll("[\\],\"]+$", "");
                }
            }
            Object grace = service.get("stop_grace_period");
            units.add(new Unit(roles(env.get("PIPELINE_ROLES")), String.valueOf(service.get("image")), env,
                    service.containsKey("ports") && String.valueOf(service.get("ports")).contains(":8080"), dataMount,
                    path, port, grace == null ? null : Integer.valueOf(String.valueOf(grace).replace("s", ""))));
        });
        return units;
    }

    @SuppressWarnings("unchecked")
    static List<Unit> akash(Map<String, Object> doc) {
        Map<String, Object> services = (Map<String, Object>) doc.get("services");
        List<Unit> units = new ArrayList<>();
        services.forEach((name, s) -> {
            Map<String, Object> service = (Map<String, Object>) s;
            Map<String, String> env = DeploymentFiles.akashEnv(service);
            if (!env.containsKey("PIPELINE_ROLES")) {
                return;
            }
            String dataMount = null;
            Map<String, Object> params = (Map<String, Object>) service.get("params");
            if (params != null) {
                Map<String, Object> storage = (Map<String, Object>) params.get("storage");
                for (Object st : storage.values()) {
                    dataMount = String.valueOf(((Map<String, Object>) st).get("mount"));
                }
            }
            boolean api = ((List<Object>) service.getOrDefault("expose", List.of())).stream()
                    .anyMatch(e -> Integer.valueOf(8080).equals(((Map<String, Object>) e).get("port")));
            units.add(new Unit(roles(env.get("PIPELINE_ROLES")), String.valueOf(service.get("image")), env, api,
                    dataMount, null, null, null));
        });
        return units;
    }

    static List<Unit> k8s(List<ObjectNode> objects) {
        Map<String, String> config = new TreeMap<>();
        Map<String, Set<String>> serviceSelects = new TreeMap<>();
        for (ObjectNode o : objects) {
            if (o.path("kind").asText().equals("ConfigMap")) {
                o.path("data").fields().forEachRemaining(e -> config.put(o.path("metadata").path("name").asText()
                        + "/" + e.getKey(), e.getValue().asText()));
            }
            if (o.path("kind").asText().equals("Service")) {
                o.path("spec").path("ports").forEach(p -> {
                    if (p.path("port").asInt() == 8080) {
                        serviceSelects.computeIfAbsent("api", k -> new TreeSet<>())
                                .add(o.path("spec").path("selector").path("app.kubernetes.io/name").asText());
                    }
                });
            }
        }
        // the Secret is made by the operator (secret.example.yaml names its keys)
        Map<String, String> secret = new TreeMap<>();
        try {
            for (ObjectNode s : Kustomize.documents(Path.of("k8s", "base", "secret.example.yaml"))) {
                s.path("stringData").fieldNames().forEachRemaining(k -> secret.put(s.path("metadata").path("name")
                        .asText() + "/" + k, "(secret)"));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<Unit> units = new ArrayList<>();
        for (ObjectNode o : objects) {
            String kind = o.path("kind").asText();
            if (!kind.equals("Deployment") && !kind.equals("StatefulSet")) {
                continue;
            }
            JsonNode pod = o.path("spec").path("template").path("spec");
            JsonNode c = pod.path("containers").get(0);
            Map<String, String> env = new TreeMap<>();
            for (JsonNode from : c.path("envFrom")) {
                String map = from.has("configMapRef") ? from.path("configMapRef").path("name").asText() : null;
                String sec = from.has("secretRef") ? from.path("secretRef").path("name").asText() : null;
                Map<String, String> source = map != null ? config : secret;
                String prefix = (map != null ? map : sec) + "/";
                source.forEach((k, v) -> {
                    if (k.startsWith(prefix)) {
                        env.put(k.substring(prefix.length()), v);
                    }
                });
            }
            c.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText("(reference)")));
            Map<String, Integer> ports = new TreeMap<>();
            c.path("ports").forEach(p -> ports.put(p.path("name").asText(), p.path("containerPort").asInt()));
            String dataMount = null;
            for (JsonNode m : c.path("volumeMounts")) {
                dataMount = m.path("mountPath").asText();
            }
            JsonNode ready = c.path("readinessProbe").path("httpGet");
            Integer healthPort = ready.path("port").isInt() ? Integer.valueOf(ready.path("port").asInt())
                    : ports.get(ready.path("port").asText());
            String app = o.path("spec").path("template").path("metadata").path("labels")
                    .path("app.kubernetes.io/name").asText();
            boolean api = serviceSelects.getOrDefault("api", Set.of()).contains(app) && ports.containsValue(8080);
            units.add(new Unit(roles(env.get("PIPELINE_ROLES")), c.path("image").asText(), env, api, dataMount,
                    ready.path("path").asText(null), healthPort,
                    pod.has("terminationGracePeriodSeconds") ? pod.path("terminationGracePeriodSeconds").asInt()
                            : null));
        }
        return units;
    }

    static Set<String> roles(String value) {
        Set<String> roles = new TreeSet<>();
        for (String r : String.valueOf(value).split(",")) {
            roles.add(r.trim());
        }
        return roles;
    }

    static Map<String, Object> load(String file) throws IOException {
        return DeploymentFiles.load(file);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> serviceEnv(Map<String, Object> compose, String service) {
        return (Map<String, Object>) DeploymentFiles.service(compose, service).get("environment");
    }
}
