package io.fineas.pipeline.catalog;

import java.util.regex.Pattern;

import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.Alert;

/**
 * The one rule for names used as a Kafka topic and as a MongoDB collection (topics) or as a stored key (segments):
 * lower-case letter first, then lower-case letters, digits, '_' or '-'. That excludes '.', which Kafka treats as
 * colliding with '_', MongoDB's '$', NUL and 'system.' prefixes, and Kafka's internal '__' prefix.
 */
public final class Names {

    public static final Pattern PATTERN = Pattern.compile("^[a-z][a-z0-9_-]*$");
    public static final int MAX_LENGTH = 100;
    /** Names no topic may take: {@code alert} means "any topic" in /collect, {@code null} reads as no topic. */
    public static final java.util.Set<String> RESERVED_TOPICS = java.util.Set.of(Alert.ANY_TOPIC, "null");

    private Names() {
    }

    public static boolean isValid(String name) {
        return name != null && name.length() <= MAX_LENGTH && PATTERN.matcher(name).matches();
    }

    /** Returns the name, or throws a 400 saying what is wrong with it. */
    public static String require(String kind, Object value) {
        if (!(value instanceof String name) || name.isEmpty()) {
            throw ApiException.badRequest("'" + kind + "' is required and must be a non-empty string");
        }
        if (name.length() > MAX_LENGTH) {
            throw ApiException.badRequest("'" + kind + "' is longer than " + MAX_LENGTH + " characters");
        }
        if (!PATTERN.matcher(name).matches()) {
            throw ApiException.badRequest("'" + kind + "' value '" + printable(name) + "' is not a valid name: use "
                    + "a lower-case letter followed by lower-case letters, digits, '_' or '-' (pattern "
                    + PATTERN.pattern() + ")");
        }
        return name;
    }

    private static String printable(String s) {
        String cut = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
