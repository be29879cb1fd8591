package io.fineas.pipeline.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every environment variable the application reads: the {@code {{env:NAME}}} of its properties, the only way its code
 * reads one (ConfigurationTableTest#theCodeReadsTheEnvironmentOnlyThroughTheProperties).
 */
public final class ApplicationVariables {

    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Z][A-Z0-9_]*)");

    private ApplicationVariables() {
    }

    public static Set<String> read() throws IOException {
        Set<String> names = new TreeSet<>();
        Matcher m = ENV.matcher(Files.readString(Path.of("src/main/resources/application.properties")));
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
