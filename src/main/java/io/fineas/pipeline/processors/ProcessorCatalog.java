package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fineas.pipeline.catalog.Names;

/**
 * Loads every processor config of a folder ({@code *.yaml}, {@code *.yml}, {@code *.json}; JSON is YAML too, so the
 * design's {"topic", "segment", "data_list"} shape loads as it is) with its data list. A config that cannot be used
 * is reported with its file and the reason; the others load normally.
 */
public final class ProcessorCatalog {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_]+)}");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

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

    private ProcessorConfig parse(Path file) throws IOException {
        Map<String, Object> doc;
        try {
            doc = YAML.readValue(file.toFile(), new TypeReference<>() {
            });
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid YAML/JSON: " + e.getOriginalMessage());
        }
        if (doc == null) {
            throw new IllegalArgumentException("the file is empty");
        }
        String fileName = file.getFileName().toString();
        String id = string(doc, "id", fileName.substring(0, fileName.lastIndexOf('.')));
        if (!Names.isValid(id)) {
            throw new IllegalArgumentException("the processor id '" + id + "' is not a valid name (" + Names.PATTERN + ")");
        }
        String topic = required(doc, "topic");
        String segment = required(doc, "segment");
        if (!Names.isValid(topic) || !Names.isValid(segment)) {
            throw new IllegalArgumentException("topic and segment must be valid names (" + Names.PATTERN + ")");
        }
        String dataList = required(doc, "data_list");
        Object sourceValue = doc.get("source");
        if (!(sourceValue instanceof Map<?, ?> source)) {
            throw new IllegalArgumentException("'source' is required: {kind: http|rss|file, ...}");
        }
        String kind = String.valueOf(source.get("kind"));
        if (!ProcessorConfig.KINDS.contains(kind)) {
            throw new IllegalArgumentException("unknown source kind '" + kind + "'; known kinds: "
                    + ProcessorConfig.KINDS);
        }
        List<Map<String, Object>> items = dataList(inside(file.getParent(), dataList, "data_list"));
        String url = null;
        Map<String, String> headers = Map.of();
        CaptureGuard.Rules guard = CaptureGuard.Rules.defaults();
        Path root = null;
        if (kind.equals("file")) {
            root = inside(file.getParent(), source.get("root") == null ? "." : String.valueOf(source.get("root")),
                    "source.root");
            for (int i = 0; i < items.size(); i++) {
                if (!(items.get(i).get("path") instanceof String)) {
                    throw new IllegalArgumentException("data list item " + i + " has no 'path' for the file source");
                }
            }
        } else {
            if (!(source.get("url") instanceof String u) || !(u.startsWith("http://") || u.startsWith("https://"))) {
                throw new IllegalArgumentException("source.url is required: an http(s) URL, with {name} placeholders");
            }
            url = u;
            headers = headers(source.get("headers"));
            guard = guard(source);
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
        int rateLimit = 0;
        long ratePeriodMs = 1000;
        if (doc.get("rate_limit") != null) {
            if (!(doc.get("rate_limit") instanceof Map<?, ?> limit)) {
                throw new IllegalArgumentException("rate_limit must be {requests: N, per_seconds: S}");
            }
            Object requests = limit.get("requests");
            Object seconds = limit.get("per_seconds") == null ? Integer.valueOf(1) : limit.get("per_seconds");
            if (!(requests instanceof Integer r) || r < 1 || !(seconds instanceof Number n) || n.doubleValue() <= 0) {
                throw new IllegalArgumentException("rate_limit must be {requests: N, per_seconds: S} with N a "
                        + "positive whole number and S a positive number");
            }
            rateLimit = r;
            ratePeriodMs = Math.max(1, Math.round(n.doubleValue() * 1000));
        }
        return new ProcessorConfig(id, file, topic, segment, kind, url, headers, root, items,
                wholeNumber(doc, "batch_size", defaultBatchSize, 1, "a positive whole number"),
                wholeNumber(doc, "workers", defaultWorkers, 1, "a positive whole number"),
                wholeNumber(doc, "retries", defaultRetries, 0, "a whole number >= 0"), rateLimit, ratePeriodMs, guard);
    }

    /**
     * source.allow_private_network (default false), source.redirect_hosts (default none: same origin only),
     * source.max_response_bytes (default 10 MiB), source.deadline_ms (default 60 s): see CaptureGuard.
     */
    private static CaptureGuard.Rules guard(Map<?, ?> source) {
        Object allow = source.get("allow_private_network");
        if (allow != null && !(allow instanceof Boolean)) {
            throw new IllegalArgumentException("source.allow_private_network must be true or false");
        }
        Set<String> hosts = new java.util.HashSet<>();
        Object listed = source.get("redirect_hosts");
        if (listed != null) {
            if (!(listed instanceof List<?> list)) {
                throw new IllegalArgumentException("source.redirect_hosts must be a list of host names");
            }
            for (Object h : list) {
                if (!(h instanceof String host) || !host.matches("^[A-Za-z0-9.-]{1,253}$")) {
                    throw new IllegalArgumentException("source.redirect_hosts: '" + h + "' is not a host name");
                }
                hosts.add(host.toLowerCase(java.util.Locale.ROOT));
            }
        }
        long maxBytes = positive(source, "max_response_bytes", CaptureGuard.Rules.DEFAULT_MAX_RESPONSE_BYTES);
        long deadlineMs = positive(source, "deadline_ms", CaptureGuard.Rules.DEFAULT_DEADLINE.toMillis());
        return new CaptureGuard.Rules(Boolean.TRUE.equals(allow), Set.copyOf(hosts), maxBytes,
                java.time.Duration.ofMillis(deadlineMs));
    }

    private static long positive(Map<?, ?> source, String name, long fallback) {
        Object value = source.get(name);
        if (value == null) {
            return fallback;
        }
        if (!(value instanceof Number n) || n.longValue() < 1 || n.doubleValue() != n.longValue()) {
            throw new IllegalArgumentException("source." + name + " must be a positive whole number");
        }
        return n.longValue();
    }

    /**
     * source.headers: names to values, sent with every request of the source. A value may name a secret kept out of
     * the file ({@code "Bearer {{env:QUOTES_API_TOKEN}}"}); one that is not set makes the processor misconfigured.
     */
    private Map<String, String> headers(Object value) {
        if (value == null) {
            return Map.of();
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("source.headers must be a map of header names to values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            String name = String.valueOf(e.getKey());
            if (!HEADER_NAME.matcher(name).matches() || !(e.getValue() instanceof String v)) {
                throw new IllegalArgumentException("source.headers: '" + name
                        + "' must be a header name with a string value");
            }
            try {
                out.put(name, placeholders.apply(v));
            } catch (RuntimeException ex) {
                throw new IllegalArgumentException("source.headers." + name + ": " + ex.getMessage());
            }
        }
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
            throw new IllegalArgumentException("the data list " + path.getFileName() + " is not valid JSON: "
                    + e.getOriginalMessage());
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

    private static String required(Map<String, Object> doc, String key) {
        if (!(doc.get(key) instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("'" + key + "' is required and must be a string");
        }
        return s;
    }

    private static String string(Map<String, Object> doc, String key, String fallback) {
        return doc.get(key) instanceof String s ? s : fallback;
    }

    /** The whole number at the key (the fallback when absent), at least min; "what" says so in the error. */
    private static int wholeNumber(Map<String, Object> doc, String key, int fallback, int min, String what) {
        Object v = doc.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer i) || i < min) {
            throw new IllegalArgumentException("'" + key + "' must be " + what);
        }
        return i;
    }
}
