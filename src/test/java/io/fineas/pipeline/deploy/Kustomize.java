package io.fineas.pipeline.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * What `kubectl kustomize` renders of a kustomization that uses only what k8s/ uses: `resources` (files, or folders
 * holding a kustomization of their own) and `labels` (added to every object's metadata.labels; selectors and
 * templates untouched, as kustomize does without includeSelectors). Anything else in a kustomization is refused,
 * so that a feature added to k8s/ and not rendered here fails loudly rather than renders wrongly.
 */
public final class Kustomize {

    public static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<String> UNDERSTOOD = List.of("apiVersion", "kind", "labels", "resources");

    private Kustomize() {
    }

    public static List<ObjectNode> render(Path dir) {
        try {
            JsonNode k = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
            k.fieldNames().forEachRemaining(f -> {
                if (!UNDERSTOOD.contains(f)) {
                    throw new IllegalArgumentException(dir + "/kustomization.yaml: '" + f
                            + "' is not rendered by the tests' renderer (Kustomize.java): add it there");
                }
            });
            List<ObjectNode> out = new ArrayList<>();
            for (JsonNode r : k.path("resources")) {
                Path p = dir.resolve(r.asText());
                if (Files.isDirectory(p)) {
                    out.addAll(render(p));
                } else {
                    out.addAll(documents(p));
                }
            }
            for (JsonNode l : k.path("labels")) {
                for (ObjectNode o : out) {
                    ObjectNode metadata = o.with("metadata");
                    ObjectNode labels = metadata.with("labels");
                    l.path("pairs").fields().forEachRemaining(e -> labels.set(e.getKey(), e.getValue()));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<ObjectNode> documents(Path file) throws IOException {
        List<ObjectNode> out = new ArrayList<>();
        try (var parser = YAML.getFactory().createParser(file.toFile())) {
            var it = YAML.readValues(parser, ObjectNode.class);
            while (it.hasNext()) {
                ObjectNode o = it.next();
                if (o != null && !o.isEmpty()) {
                    out.add(o);
                }
            }
        }
        return out;
    }

    public static String toYaml(List<? extends JsonNode> objects) {
        StringBuilder sb = new StringBuilder();
        try {
            for (JsonNode o : objects) {
                sb.append(YAML.writeValueAsString(o));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return sb.toString();
    }
}
