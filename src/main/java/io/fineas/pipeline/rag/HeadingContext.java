package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Headings as the context of a chunk: a chunk cut from the middle of a section has lost the page's title and the
 * section's heading, the words that say what it is about ("8.1. Numeric Types" above a table whose rows never say
 * "numeric"). Each chunk that does not open with a heading gets the page's first heading and the heading it stands
 * under, as one line opened by {@code #} (a heading line: searched and embedded with the chunk, never an answer's
 * text). Headings are the lines that open with {@code #} ({@link HtmlText} writes them so; so does Markdown).
 */
public final class HeadingContext {

    private static final Pattern HEADING = Pattern.compile("(?m)^(#{1,6}) (.+)$");
    /** The longest heading line added to a chunk. */
    static final int MAX_CHARS = 160;

    private HeadingContext() {
    }

    /** A heading: where it stands in the text and what it says. */
    private record Heading(int at, String text) {
    }

    /**
     * The chunks, each that does not open with a heading after the line of headings it stands under.
     *
     * @param text   the text the chunks were cut from, in order
     * @param chunks the chunks' texts
     */
    public static List<String> apply(String text, List<String> chunks) {
        List<Heading> headings = new ArrayList<>();
        Matcher m = HEADING.matcher(text);
        while (m.find()) {
            headings.add(new Heading(m.start(), m.group(2).strip()));
        }
        List<String> out = new ArrayList<>(chunks.size());
        if (headings.isEmpty()) {
            out.addAll(chunks);
            return out;
        }
        String title = headings.get(0).text();
        int from = 0;
        for (String chunk : chunks) {
            String probe = chunk.strip();
            probe = probe.substring(0, Math.min(60, probe.length()));
            int at = probe.isEmpty() ? -1 : text.indexOf(probe, from);
            if (at >= 0) {
                from = at;
            }
            if (chunk.stripLeading().startsWith("#")) {
                out.add(chunk);
                continue;
            }
            String under = null;
            for (Heading h : headings) {
                if (h.at() > from) {
                    break;
                }
                under = h.text();
            }
            String line = under == null || under.equals(title) ? title : title + " \u203a " + under;
            out.add("# " + TextExtraction.cut(line, MAX_CHARS) + "\n\n" + chunk);
        }
        return out;
    }
}
