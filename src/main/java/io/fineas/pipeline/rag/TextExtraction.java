package io.fineas.pipeline.rag;

import java.io.IOException;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jsoup.Jsoup;

/** Reduces captured content to text for chunking: HTML and XML to their text, JSON to "path: value" lines. */
public final class TextExtraction {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TextExtraction() {
    }

    public static String text(String content, String contentType) {
        if (content == null) {
            return "";
        }
        String type = contentType == null ? "" : contentType.toLowerCase();
        String trimmed = content.strip();
        if (type.contains("json") || (type.isEmpty() && (trimmed.startsWith("{") || trimmed.startsWith("[")))) {
            try {
                StringBuilder out = new StringBuilder();
                flatten("", JSON.readTree(trimmed), out);
                return out.toString().strip();
            } catch (IOException e) {
                return trimmed;
            }
        }
        if (type.contains("html") || type.contains("xml") || trimmed.startsWith("<")) {
            return Jsoup.parse(content).wholeText().replaceAll("[ \\t\\x0B\\f\\r]+", " ")
                    .replaceAll("\\n\\s*\\n+", "\n\n").strip();
        }
        return trimmed;
    }

    private static void flatten(String path, JsonNode node, StringBuilder out) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                flatten(path.isEmpty() ? f.getKey() : path + "." + f.getKey(), f.getValue(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                flatten(path + "[" + i + "]", node.get(i), out);
            }
        } else if (!node.isNull()) {
            out.append(path.isEmpty() ? "" : path + ": ").append(node.asText()).append('\n');
        }
    }
}
