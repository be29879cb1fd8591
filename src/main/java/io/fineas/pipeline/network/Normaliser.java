package io.fineas.pipeline.network;

import java.io.Serializable;
import java.util.List;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fineas.pipeline.common.Hashes;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;

/**
 * What nodes agree on: not the bytes a source answered, which differ between two fetches of the same page (a clock,
 * an ad, a session token), but the text a reader takes from it. HTML: its text, without scripts, styles and the
 * config's volatile elements (CSS selectors); JSON: its canonical form (keys sorted) without the volatile paths
 * ({@code $.meta.generated_at}; a path continues into every element of an array); anything else: the text as it is.
 * Then runs of white space become one space. The content hash is the SHA-256 of the result.
 *
 * @param whitespace   collapse white space (default true)
 * @param htmlElements CSS selectors of the elements left out of an HTML page
 * @param jsonPaths    dotted paths of the fields left out of a JSON document
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Normaliser(@JsonProperty("whitespace") boolean whitespace,
        @JsonProperty("html_elements") List<String> htmlElements,
        @JsonProperty("json_paths") List<String> jsonPaths) implements Serializable {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    public static final Normaliser DEFAULT = new Normaliser(true, List.of(), List.of());

    public Normaliser {
        htmlElements = htmlElements == null ? List.of() : List.copyOf(htmlElements);
        jsonPaths = jsonPaths == null ? List.of() : List.copyOf(jsonPaths);
    }

    /** The content's hash after normalisation (what a submission's content_hash must be). */
    public String hash(String content, String contentType) {
        return Hashes.sha256Hex(normalise(content, contentType));
    }

    public String normalise(String content, String contentType) {
        String text = content == null ? "" : content;
        String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (type.contains("html") || (type.isEmpty() && text.stripLeading().startsWith("<"))) {
            Document page = Jsoup.parse(text);
            page.select("script, style, noscript, template").remove();
            for (String selector : htmlElements) {
                page.select(selector).remove();
            }
            text = page.text();
        } else if (type.contains("json")) {
            try {
                JsonNode tree = JSON.readTree(text);
                for (String path : jsonPaths) {
                    remove(tree, List.of(path.replaceFirst("^\\$\\.?", "").split("\\.")));
                }
                text = JSON.writeValueAsString(JSON.treeToValue(tree, Object.class));
            } catch (Exception notJson) {
                // compared as text
            }
        }
        return whitespace ? text.replaceAll("\\s+", " ").strip() : text;
    }

    private static void remove(JsonNode node, List<String> path) {
        if (path.isEmpty() || node == null) {
            return;
        }
        if (node instanceof ArrayNode array) {
            array.forEach(element -> remove(element, path));
        } else if (node instanceof ObjectNode object) {
            if (path.size() == 1) {
                object.remove(path.get(0));
            } else {
                remove(object.get(path.get(0)), path.subList(1, path.size()));
            }
        }
    }
}
