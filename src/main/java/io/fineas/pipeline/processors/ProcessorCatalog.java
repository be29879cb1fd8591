package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fineas.pipeline.catalog.Names;
import io.fineas.pipeline.common.ConfigSchema;
import io.fineas.pipeline.common.JsonSyntax;

/**
 * Loads every processor config of a folder ({@code *.yaml}, {@code *.yml}, {@code *.json}; JSON is YAML too, so the
 * design's {"topic", "segment", "data_list"} shape loads as it is) with its data list. A config that cannot be used
 * is reported with its file and the reason; the others load normally.
 */
public final class ProcessorCatalog {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)}");
    private static final ConfigSchema SCHEMA = ConfigSchema.load("processor-config");

    /** A config file that could not be used, and why. */
    public record Problem(String file, String reason) {
    }

    private final Path folder;
    private final int defaultBatchSize;
    private final int defaultWorkers;
    private final int defaultRetries;
    private final UnaryOperator<String> placeholders;
    private final List<ProcessorConfig> configs = new ArrayList<>();
    private final List<Problem> problems = new ArrayList<>();

    /**
     * @param placeholders resolves {@code {{env:NAME}}}, {@code {{sys:NAME}}} and property placeholders in header
     *                     values (Camel's resolver), failing when one is not set
     */
    public ProcessorCatalog(Path folder, int defaultBatchSize, int defaultWorkers, int defaultRetries,
            UnaryOperator<String> placeholders) {
        this.folder = folder.toAbsolutePath().normalize();
        this.defaultBatchSize = defaultBatchSize;
        this.defaultWorkers = defaultWorkers;
        this.defaultRetries = defaultRetries;
        this.placeholders = placeholders;
    }

    public ProcessorCatalog load() {
        configs.clear();
        problems.clear();
        if (!Files.isDirectory(folder)) {
            problems.add(new Problem(folder.toString(), "the processors folder does not exist"));
            return this;
        }
        Set<String> ids = new LinkedHashSet<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path f : files.filter(ProcessorCatalog::isConfigFile).sorted().toList()) {
                try {
                    ProcessorConfig config = parse(f);
                    if (!ids.add(config.id())) {
                        throw new IllegalArgumentException("another processor already has the id '" + config.id() + "'");
                    }
                    configs.add(config);
                } catch (IllegalArgumentException | IOException e) {
                    problems.add(new Problem(folder.relativize(f).toString(), e.getMessage()));
                }
            }
        } catch (IOException e) {
            problems.add(new Problem(folder.toString(), "the processors folder cannot be read: " + e.getMessage()));
        }
        return this;
    }

    public List<ProcessorConfig> configs() {
        return List.copyOf(configs);
    }

    public List<Problem> problems() {
        return List.copyOf(problems);
    }

    private static boolean isConfigFile(Path p) {
        String n = p.getFileName().toString();
        return Files.isRegularFile(p) && !n.contains(".data.")
                && (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"));
    }

    /** A config file as written: checked against schemas/config/processor-config.schema.json first. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ConfigFile(
            @JsonProperty("id") String id,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("data_list") String dataList,
            @JsonProperty("source") Source source,
            @JsonProperty("batch_size") Integer batchSize,
            @JsonProperty("workers") Integer workers,
            @JsonProperty("retries") Integer retries,
            @JsonProperty("rate_limit") RateLimit rateLimit,
            @JsonProperty("network") Network network) {

        record Network(@JsonProperty("replicas") Integer replicas, @JsonProperty("quorum") Integer quorum,
                @JsonProperty("canary_rate") Double canaryRate, @JsonProperty("deadline_ms") Long deadlineMs,
                @JsonProperty("lease_ms") Long leaseMs, @JsonProperty("canary_url") String canaryUrl,
                @JsonProperty("normalise") Normalise normalise) {
        }

        record Normalise(@JsonProperty("whitespace") Boolean whitespace,
                @JsonProperty("html_elements") List<String> htmlElements,
                @JsonProperty("json_paths") List<String> jsonPaths) {
        }

        record Source(
                @JsonProperty("kind") String kind,
                @JsonProperty("url") String url,
                @JsonProperty("root") String root,
                @JsonProperty("headers") Map<String, String> headers,
                @JsonProperty("allow_private_network") boolean allowPrivateNetwork,
                @JsonProperty("redirect_hosts") List<String> redirectHosts,
                @JsonProperty("max_response_bytes") Long maxResponseBytes,
                @JsonProperty("deadline_ms") Long deadlineMs) {
        }

        record RateLimit(@JsonProperty("requests") int requests, @JsonProperty("per_seconds") Double perSeconds) {
        }
    }

    private ProcessorConfig parse(Path file) throws IOException {
        JsonNode tree;
        try {
            tree = YAML.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid YAML/JSON " + JsonSyntax.where(e));
        }
        if (tree == null || tree.isMissingNode() || tree.isNull()) {
            throw new IllegalArgumentException("the file is empty");
        }
        List<String> invalid = SCHEMA.problems(tree);
        if (!invalid.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", invalid));
        }
        ConfigFile doc = YAML.treeToValue(tree, ConfigFile.class);
        String fileName = file.getFileName().toString();
        String id = doc.id() != null ? doc.id() : fileName.substring(0, fileName.lastIndexOf('.'));
        if (!Names.isValid(id)) {
            throw new IllegalArgumentException("the processor id '" + id + "' is not a valid name (" + Names.PATTERN + ")");
        }
        ConfigFile.Source source = doc.source();
        List<Map<String, Object>> items = dataList(inside(file.getParent(), doc.dataList(), "data_list"));
        String url = null;
        Map<String, String> headers = Map.of();
        CaptureGuard.Rules guard = CaptureGuard.Rules.defaults();
        Path root = null;
        if (source.kind().equals("file")) {
            root = inside(file.getParent(), source.root() == null ? "." : source.root(), "source.root");
            for (int i = 0; i < items.size(); i++) {
                if (!(items.get(i).get("path") instanceof String)) {
                    throw new IllegalArgumentException("data list item " + i + " has no 'path' for the file source");
                }
            }
        } else {
            url = resolved("source.url", source.url());
            if (!url.startsWith("http://") && !url.startsWith("https://")) {
                throw new IllegalArgumentException("source.url is not an http(s) URL once resolved: " + url);
            }
            headers = headers(source.headers());
            guard = new CaptureGuard.Rules(source.allowPrivateNetwork(), source.redirectHosts() == null ? Set.of()
                    : source.redirectHosts().stream().map(h -> h.toLowerCase(Locale.ROOT)).collect(Collectors.toSet()),
                    source.maxResponseBytes() != null ? source.maxResponseBytes()
                            : CaptureGuard.Rules.DEFAULT_MAX_RESPONSE_BYTES,
                    source.deadlineMs() != null ? Duration.ofMillis(source.deadlineMs())
                            : CaptureGuard.Rules.DEFAULT_DEADLINE);
            List<String> variables = new ArrayList<>();
            Matcher m = PLACEHOLDER.matcher(url);
            while (m.find()) {
                variables.add(m.group(1));
            }
            for (int i = 0; i < items.size(); i++) {
                for (String v : variables) {
                    if (items.get(i).get(v) == null) {
                        throw new IllegalArgumentException("data list item " + i + " has no '" + v
                                + "' for the URL template " + url);
                    }
                }
            }
        }
        ConfigFile.RateLimit limit = doc.rateLimit();
        long ratePeriodMs = limit == null || limit.perSeconds() == null ? 1000
                : Math.max(1, Math.round(limit.perSeconds() * 1000));
        return new ProcessorConfig(id, file, doc.topic(), doc.segment(), source.kind(), url, headers, root, items,
                doc.batchSize() != null ? doc.batchSize() : defaultBatchSize,
                doc.workers() != null ? doc.workers() : defaultWorkers,
                doc.retries() != null ? doc.retries() : defaultRetries, limit == null ? 0 : limit.requests(),
                ratePeriodMs, guard, network(doc, headers));
    }

    /**
     * The network: block, with its defaults (3 replicas, a majority for quorum, 5% canaries, 5 minutes to settle,
     * leases of 1 minute). Only an http source without secret headers may be captured by nodes: a node sees the
     * task's URL and item, never a key.
     */
    private static io.fineas.pipeline.network.NetworkSpec network(ConfigFile doc, Map<String, String> headers) {
        ConfigFile.Network n = doc.network();
        if (n == null) {
            return null;
        }
        if (!doc.source().kind().equals("http")) {
            throw new IllegalArgumentException("network capture is for http sources only (this one is "
                    + doc.source().kind() + ")");
        }
        if (!headers.isEmpty()) {
            throw new IllegalArgumentException("a network processor cannot send source.headers: nodes would see "
                    + "them; capture sources that need a key in-house");
        }
        int replicas = n.replicas() != null ? n.replicas() : 3;
        io.fineas.pipeline.network.Normaliser normaliser = n.normalise() == null
                ? io.fineas.pipeline.network.Normaliser.DEFAULT
                : new io.fineas.pipeline.network.Normaliser(n.normalise().whitespace() == null
                        || n.normalise().whitespace(), n.normalise().htmlElements(), n.normalise().jsonPaths());
        return new io.fineas.pipeline.network.NetworkSpec(replicas,
                n.quorum() != null ? n.quorum() : io.fineas.pipeline.network.NetworkSpec.majority(replicas),
                n.canaryRate() != null ? n.canaryRate() : 0.05, n.deadlineMs() != null ? n.deadlineMs() : 300_000,
                n.leaseMs() != null ? n.leaseMs() : 60_000, n.canaryUrl(), normaliser);
    }

    /** A value that may hold {@code {{env:NAME:default}}} placeholders, resolved; one that is not set is refused. */
    private String resolved(String name, String value) {
        if (value == null || !value.contains("{{")) {
            return value;
        }
        try {
            return placeholders.apply(value);
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException(name + ": " + ex.getMessage());
        }
    }

    /**
     * source.headers: names to values, sent with every request of the source. A value may name a secret kept out of
     * the file ({@code "Bearer {{env:QUOTES_API_TOKEN}}"}); one that is not set makes the processor misconfigured.
     */
    private Map<String, String> headers(Map<String, String> declared) {
        if (declared == null) {
            return Map.of();
        }
        Map<String, String> out = new LinkedHashMap<>();
        declared.forEach((name, value) -> out.put(name, resolved("source.headers." + name, value)));
        return Map.copyOf(out);
    }

    /** Resolves a path against the config's folder; one that leaves the processors folder is refused. */
    private Path inside(Path base, String relative, String what) {
        Path resolved = base.resolve(relative).toAbsolutePath().normalize();
        if (!resolved.startsWith(folder)) {
            throw new IllegalArgumentException(what + " '" + relative + "' is outside the processors folder");
        }
        return resolved;
    }

    private static List<Map<String, Object>> dataList(Path path) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("the data list " + path.getFileName() + " does not exist");
        }
        Object parsed;
        try {
            parsed = YAML.readValue(path.toFile(), Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the data list " + path.getFileName() + " is not valid JSON "
                    + JsonSyntax.where(e));
        }
        if (!(parsed instanceof List<?> list)) {
            throw new IllegalArgumentException("the data list " + path.getFileName()
                    + " must be a JSON array of parameter objects");
        }
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw new IllegalArgumentException("data list item " + i + " is not an object");
            }
            Map<String, Object> item = new LinkedHashMap<>();
            m.forEach((k, v) -> item.put(String.valueOf(k), v));
            items.add(item);
        }
        return items;
    }

}
