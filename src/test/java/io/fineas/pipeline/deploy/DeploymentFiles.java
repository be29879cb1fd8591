package io.fineas.pipeline.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.yaml.snakeyaml.Yaml;

/** docker-compose.yml and akash.sdl as the tests read them: a file, its services, a service's variables. */
public final class DeploymentFiles {

    private DeploymentFiles() {
    }

    /** The file (relative to the project), with Compose's merge keys (<<: *pipeline) resolved as Compose does. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(String file) throws IOException {
        return (Map<String, Object>) new Yaml().load(Files.readString(Path.of(file)));
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> service(Map<String, Object> doc, String name) {
        return (Map<String, Object>) ((Map<String, Object>) doc.get("services")).get(name);
    }

    /** A Compose service's environment (a map in this project's file), values as strings. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> composeEnv(Map<String, Object> service) {
        Map<String, String> env = new TreeMap<>();
        ((Map<String, Object>) service.getOrDefault("environment", Map.of()))
                .forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }

    /** An Akash service's env (NAME=value lines). */
    @SuppressWarnings("unchecked")
    public static Map<String, String> akashEnv(Map<String, Object> service) {
        Map<String, String> env = new TreeMap<>();
        for (Object line : (List<Object>) service.getOrDefault("env", List.of())) {
            String[] kv = String.valueOf(line).split("=", 2);
            env.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        return env;
    }
}
