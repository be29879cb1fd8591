package io.fineas.pipeline.rag;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jsoup.Jsoup;

/**
 * Reduces captured content to text for chunking: HTML and XML to their text, JSON to "path: value" lines. The text is
 * bounded before anything else reads it: at most {@code maxChars} characters whatever the content type, and the work
 * to make it bounded too (a JSON path is written once per leaf, so a deeply nested document used to grow with the
 * square of its depth: 15 KB became 25 MB). A path longer than {@link #MAX_PATH_CHARS} keeps its last part only.
 */
public final class TextExtraction {

    /** A JSON leaf's path, as written before its value: longer ones keep their end ("…" + the last characters). */
    static final int MAX_PATH_CHARS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    private TextExtraction() {
    }

    public static String text(String content, String contentType, int maxChars) {
        if (content == null) {
            return "";
        }
        String type = contentType == null ? "" : contentType.toLowerCase();
        String trimmed = content.strip();
        if (type.contains("json") || (type.isEmpty() && (trimmed.startsWith("{") || trimmed.startsWith("[")))) {
            try {
                Bounded out = new Bounded(maxChars);
                flatten(new StringBuilder(), JSON.readTree(trimmed), out);
                return out.text.toString().strip();
            } catch (IOException e) {
                return cut(trimmed, maxChars);
            }
        }
        if (type.contains("html") || type.contains("xml") || trimmed.startsWith("<")) {
            // jsoup's parse is linear in the content, which the record's own limit bounds
            return cut(Jsoup.parse(content).wholeText().replaceAll("[ \\t\\x0B\\f\\r]+", " ")
                    .replaceAll("\\n\\s*+\\n+", "\n\n").strip(), maxChars);
        }
        return cut(trimmed, maxChars);
    }

    /** The text being made, and whether it is full. */
    private static final class Bounded {
        final StringBuilder text = new StringBuilder();
        final int max;

        Bounded(int max) {
            this.max = max;
        }

        boolean full() {
            return text.length() >= max;
        }
    }

    /** Depth-first, one path buffer grown and shrunk in place; stops as soon as the text is full. */
    private static void flatten(StringBuilder path, JsonNode node, Bounded out) {
        if (out.full()) {
            return;
        }
        int at = path.length();
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext() && !out.full()) {
                Map.Entry<String, JsonNode> f = fields.next();
                if (at > 0) {
                    path.append('.');
                }
                flatten(path.append(f.getKey()), f.getValue(), out);
                path.setLength(at);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size() && !out.full(); i++) {
                flatten(path.append('[').append(i).append(']'), node.get(i), out);
                path.setLength(at);
            }
        } else if (!node.isNull()) {
            if (at > MAX_PATH_CHARS) {
                out.text.append('\u2026').append(path, at - MAX_PATH_CHARS, at).append(": ");
            } else if (at > 0) {
                out.text.append(path).append(": ");
            }
            out.text.append(node.asText()).append('\n');
            if (out.text.length() > out.max) {
                out.text.setLength(Character.isHighSurrogate(out.text.charAt(out.max - 1)) ? out.max - 1 : out.max);
            }
        }
    }

    /** At most {@code max} characters, never ending inside a surrogate pair. */
    static String cut(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        return text.substring(0, Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }
}
