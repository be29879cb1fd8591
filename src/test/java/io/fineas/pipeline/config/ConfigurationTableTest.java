package io.fineas.pipeline.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.fineas.pipeline.support.ApplicationVariables;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration table (docs/CONFIGURATION.md) and application.properties name the same environment variables:
 * a variable added to the properties without a row (or a wildcard row: {@code GATEWAY_RATE_*}) fails, and so does a
 * row that names a variable nothing reads.
 */
class ConfigurationTableTest {

    private static final Pattern NAME = Pattern.compile("`([A-Z][A-Z0-9_]*)(\\*?)`");
    /** Read by the OpenTelemetry SDK itself, not through the properties. */
    private static final Set<String> READ_ELSEWHERE = Set.of("OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_", "OPENAI_", "OLLAMA_", "GATEWAY_RATE_");

    @Test
    void everyVariableHasARowAndEveryRowAVariable() throws IOException {
        Set<String> variables = ApplicationVariables.read();
        String section = Files.readString(Path.of("docs", "CONFIGURATION.md"));
        Set<String> named = new TreeSet<>();
        List<String> wildcards = new ArrayList<>();
        for (String row : section.lines().filter(l -> l.startsWith("| `")).toList()) {
            // the row's first cell names the variables; the others may mention some in passing
            Matcher n = NAME.matcher(row.substring(0, row.indexOf(" | ")));
            while (n.find()) {
                if (n.group(2).isEmpty()) {
                    named.add(n.group(1));
                } else {
                    wildcards.add(n.group(1));
                }
            }
        }
        assertThat(variables).as("variables of application.properties without a row in docs/CONFIGURATION.md")
                .allMatch(v -> named.contains(v) || wildcards.stream().anyMatch(v::startsWith));
        assertThat(named).as("rows of docs/CONFIGURATION.md that no property reads")
                .allMatch(v -> variables.contains(v) || READ_ELSEWHERE.contains(v));
        assertThat(variables).as("the properties were read").hasSizeGreaterThan(100);
    }

    /**
     * The code reads no environment variable of its own: each setting is a property, resolved from the environment
     * by Camel ({@code {{env:NAME:default}}}) and so in the table above. The one exception is the evaluate command,
     * a client run without a Camel context, whose defaults Application hands it from the caller's environment.
     */
    @Test
    void theCodeReadsTheEnvironmentOnlyThroughTheProperties() throws IOException {
        List<String> reading = new ArrayList<>();
        try (Stream<Path> java = Files.walk(Path.of("src/main/java"))) {
            for (Path p : java.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = Files.readString(p);
                if (code.contains("System.getenv") && !p.endsWith(Path.of("io/fineas/pipeline/Application.java"))) {
                    reading.add(p.toString());
                }
            }
        }
        assertThat(reading).as("classes that read System.getenv").isEmpty();
        assertThat(Files.readString(Path.of("src/main/java/io/fineas/pipeline/Application.java"))
                .split("System\\.getenv", -1)).as("System.getenv in Application: the evaluate command's defaults only")
                .hasSize(2);
    }
}
