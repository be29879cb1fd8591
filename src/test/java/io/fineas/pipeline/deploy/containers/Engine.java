package io.fineas.pipeline.deploy.containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The container engine the container tests drive: podman (its own CLI) and docker-compose through podman's Docker API
 * socket, as .ci/containers/podman-setup.sh leaves them. Every command runs as an OS process with a deadline; its
 * output is kept for the failure message.
 */
final class Engine {

    static final String SOCKET = "unix:///run/podman/podman.sock";

    private final Path projectDir;
    private final Map<String, String> env = new LinkedHashMap<>();

    Engine(Path projectDir) {
        this.projectDir = projectDir;
        env.put("DOCKER_HOST", SOCKET);
    }

    Engine env(String name, String value) {
        env.put(name, value);
        return this;
    }

    /** The output of a command that must succeed. */
    String run(Duration deadline, String... command) {
        Result r = attempt(deadline, command);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + r.exit + ":\n" + r.output);
        }
        return r.output;
    }

    Result attempt(Duration deadline, String... command) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(projectDir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            // read while it runs: a full pipe would stall it
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // the process went away
                }
            });
            reader.start();
            if (!p.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                reader.join(5000);
                throw new IllegalStateException(String.join(" ", command) + " took longer than " + deadline + ":\n"
                        + out);
            }
            reader.join(5000);
            return new Result(p.exitValue(), out.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", command) + " could not run", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String podman(String... args) {
        List<String> command = new ArrayList<>(List.of("podman"));
        command.addAll(Arrays.asList(args));
        return run(Duration.ofMinutes(5), command.toArray(String[]::new));
    }

    record Result(int exit, String output) {
    }
}
