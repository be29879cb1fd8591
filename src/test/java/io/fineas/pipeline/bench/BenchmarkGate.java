package io.fineas.pipeline.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark gate (.ci/run): with {@code -Dbench.gate=true} a benchmark's figure is checked against its floor in
 * {@code bench/floors.properties} (a minimum, or a maximum for figures where less is better) and the run fails below
 * it, printing the figure and its floor either way. A floor is raised when a change improves its figure, and lowered
 * only with a measured reason in the commit.
 */
final class BenchmarkGate {

    private static final Properties FLOORS = load();

    private BenchmarkGate() {
    }

    static boolean on() {
        return Boolean.getBoolean("bench.gate");
    }

    /** Checks a figure where more is better against its minimum {@code NAME.min}. */
    static void atLeast(String name, double figure) {
        check(name, figure, true);
    }

    /** Checks a figure where less is better against its maximum {@code NAME.max}. */
    static void atMost(String name, double figure) {
        check(name, figure, false);
    }

    private static void check(String name, double figure, boolean higherIsBetter) {
        if (!on()) {
            return;
        }
        String key = name + (higherIsBetter ? ".min" : ".max");
        String floor = FLOORS.getProperty(key);
        assertThat(floor).as("a floor for " + key + " in bench/floors.properties").isNotNull();
        double limit = Double.parseDouble(floor);
        boolean ok = higherIsBetter ? figure >= limit : figure <= limit;
        String line = String.format("bench gate: %s = %.3f, %s %s: %s", name, figure,
                higherIsBetter ? "at least" : "at most", floor, ok ? "ok" : "FAILED");
        System.out.println(line);
        try {
            java.nio.file.Path file = java.nio.file.Path.of("target", "bench", "gate.txt");
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Files.writeString(file, line + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(ok).as(line).isTrue();
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BenchmarkGate.class.getResourceAsStream("/bench/floors.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }
}
