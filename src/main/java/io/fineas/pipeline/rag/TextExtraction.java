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

    /** A run of two or more horizontal white-space characters (read once: possessive). */
    private static final java.util.regex.Pattern SPACES = java.util.regex.Pattern.compile("\\h{2,}+");
    /** One character that is no letter, digit or white space, 17 or more times in a row. */
    private static final java.util.regex.Pattern REPEATED_MARK = java.util.regex.Pattern.compile(
            "([^\\p{L}\\p{N}\\s])\\1{16,}+");
    /** Three or more line ends in a row, with only white space between them. */
    private static final java.util.regex.Pattern BLANK_LINES = java.util.regex.Pattern.compile("\\n(?:\\h*+\\n){2,}+");

    public static String text(String content, String contentType, int maxChars) {
        return compact(extract(content, contentType, maxChars));
    }

    /**
     * Runs of spaces become one space and runs of blank lines one blank line: they carry nothing for search or
     * analysis, and langchain4j's recursive splitter takes time growing with the square of such a run ("x <" and
     * 80,000 spaces took 42 s to split, holding an ingestion consumer).
     */
    static String compact(String text) {
        String t = BLANK_LINES.matcher(SPACES.matcher(text).replaceAll(" ")).replaceAll("\n\n");
        // a long run of one punctuation mark ("....", "====") keeps 16 of it: the splitter's sentence detection took
        // 9 s over 200,000 dots
        return REPEATED_MARK.matcher(t).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
                m.group(1).repeat(16))).strip();
    }

    /**
     * The text with no paragraph longer than {@code max} characters: a longer one is cut at its last white space
     * before the limit (or at the limit), and the pieces are separate paragraphs. For the splitter only: langchain4j's
     * recursive splitter hands a long paragraph without sentence ends to its sentence detector, which took 5 to 10 s
     * over 200,000 characters such as "a.a.a." or "?!?!" (growing faster than the text).
     */
    public static String boundedParagraphs(String text, int max) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        int at = 0;
        while (at < text.length()) {
            int end = text.indexOf("\n\n", at);
            end = end < 0 ? text.length() : end;
            while (end - at > max) {
                int cut = at + max;
                int space = cut;
                while (space > at + max / 2 && !Character.isWhitespace(text.charAt(space - 1))) {
                    space--;
                }
                cut = space > at + max / 2 ? space : cut;
                if (Character.isLowSurrogate(text.charAt(cut)) && cut > at + 1) {
                    cut--;
                }
                out.append(text, at, cut).append("\n\n");
                at = cut;
            }
            out.append(text, at, end);
            if (end < text.length()) {
                out.append("\n\n");
            }
            at = end + 2;
        }
        return out.toString();
    }

    private static String extract(String content, String contentType, int maxChars) {
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
        if (type.contains("html") || (!type.contains("xml") && looksLikeHtml(trimmed))) {
            // a page as a reader sees it: no navigation or page chrome, terms with their definitions, table cells with
            // their headers, headings and code marked (HtmlText); jsoup's parse is linear in the content
            return cut(HtmlText.text(content), maxChars);
        }
        if (type.contains("xml") || trimmed.startsWith("<")) {
            // jsoup's parse is linear in the content, which the record's own limit bounds
            return cut(Jsoup.parse(content).wholeText().replaceAll("[ \\t\\x0B\\f\\r]+", " ")
                    .replaceAll("\\n\\s*+\\n+", "\n\n").strip(), maxChars);
        }
        return cut(trimmed, maxChars);
    }

    private static boolean looksLikeHtml(String trimmed) {
        String head = trimmed.substring(0, Math.min(200, trimmed.length())).toLowerCase(java.util.Locale.ROOT);
        return head.startsWith("<!doctype html") || head.startsWith("<html") || head.contains("<body");
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
                out.text.setLength(end(out.text, out.max));
            }
        }
    }

    /** At most {@code max} characters, never ending inside a surrogate pair (null stays null). */
    public static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, end(text, max));
    }

    /** Where text longer than {@code max} is cut: at {@code max}, or one before when that would split a pair. */
    private static int end(CharSequence text, int max) {
        return Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    }
}
