package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;

/**
 * An HTML page as a reader sees it, as text for chunking and answers:
 * <ul>
 * <li>what is not the page's own content is dropped by structure: scripts and styles, navigation ({@code nav},
 * {@code role=navigation}, classes and ids such as navheader, sidebar, breadcrumb, toc, related), page headers and
 * footers ({@code header}/{@code footer} and {@code role=banner|contentinfo}), forms, and permalink marks;</li>
 * <li>headings become lines of their own opened by {@code #} (one per level): context for a chunk, never text of an
 * answer;</li>
 * <li>a definition list keeps each term with its definition ({@code term: definition}), several terms of one
 * definition joined ({@code -a, --annotate: ...});</li>
 * <li>a table row keeps its header: {@code first cell — Header 2: cell 2; Header 3: cell 3.} (a caption becomes a
 * heading);</li>
 * <li>code blocks are fenced ({@code ```}) so a reader, or the extractive model, knows them from prose;</li>
 * <li>a block of text that repeats within the page (a navigation bar at the top and the bottom) is kept once.</li>
 * </ul>
 * A block that repeats across the pages of one site without being marked as navigation (a notice, a banner in plain
 * paragraphs) is kept: each page is read alone.
 */
public final class HtmlText {

    private static final Set<String> DROPPED_TAGS = Set.of("script", "style", "noscript", "template", "nav", "form",
            "button", "select", "input", "textarea", "iframe", "svg", "canvas", "object", "embed", "head");
    private static final Set<String> DROPPED_ROLES = Set.of("navigation", "banner", "contentinfo", "search",
            "complementary", "menu", "menubar");
    /** Class or id words of navigation, tables of contents and page chrome (compared whole, lower case). */
    private static final Set<String> CHROME = Set.of("nav", "navbar", "navheader", "navfooter", "navigation",
            "breadcrumb", "breadcrumbs", "sidebar", "sphinxsidebar", "sphinxsidebarwrapper", "related", "toc", "toctree",
            "toctree-wrapper", "menu", "skip", "skip-link", "skiplink", "headerlink", "footer", "site-header", "site-footer",
            "mobile-nav", "cookie", "cookies", "cookie-banner", "pagination", "toc-backref",
            "docs-nav", "searchbox", "top-nav", "topnav", "edit-this-page");
    private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "main", "body", "blockquote",
            "ul", "ol", "li", "dl", "dt", "dd", "table", "figure", "figcaption", "address", "details", "summary",
            "aside", "center", "fieldset", "hr", "br", "caption", "html");
    private static final Pattern SPACE = Pattern.compile("[\\s\\u00a0]+");
    private static final Pattern HEADING = Pattern.compile("h[1-6]");

    private HtmlText() {
    }

    /** The page's text: blocks separated by blank lines, headings as {@code # } lines, code fenced. */
    public static String text(String html) {
        Element body = Jsoup.parse(html).body();
        Writer out = new Writer();
        walk(body, out);
        out.endBlock();
        return String.join("\n\n", out.blocks);
    }

    /** The text being written: the blocks so far and the words of the one being made. */
    private static final class Writer {
        final List<String> blocks = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        final StringBuilder line = new StringBuilder();

        void words(String text) {
            String t = SPACE.matcher(text).replaceAll(" ");
            if (t.isBlank()) {
                if (line.length() > 0 && line.charAt(line.length() - 1) != ' ') {
                    line.append(' ');
                }
                return;
            }
            if (line.length() > 0 && line.charAt(line.length() - 1) == ' ' && t.startsWith(" ")) {
                t = t.substring(1);
            }
            line.append(line.length() == 0 ? t.stripLeading() : t);
        }

        void endBlock() {
            add(line.toString().strip());
            line.setLength(0);
        }

        /** A finished block, unless the page has had it already (a second navigation bar, a repeated notice). */
        void add(String block) {
            if (block.isEmpty()) {
                return;
            }
            if (!block.startsWith("```") && !seen.add(block.toLowerCase(Locale.ROOT))) {
                return;
            }
            blocks.add(block);
        }
    }

    private static boolean dropped(Element e) {
        String tag = e.normalName();
        if (DROPPED_TAGS.contains(tag) || e.hasAttr("hidden") || "true".equals(e.attr("aria-hidden"))) {
            return true;
        }
        if (DROPPED_ROLES.contains(e.attr("role").toLowerCase(Locale.ROOT))) {
            return true;
        }
        if ((tag.equals("header") || tag.equals("footer")) && e.closest("article, main, section") == null) {
            return true;
        }
        for (String word : (e.className() + " " + e.id()).toLowerCase(Locale.ROOT).split("\\s+")) {
            if (!word.isEmpty() && CHROME.contains(word)) {
                return true;
            }
        }
        return false;
    }

    private static void walk(Element element, Writer out) {
        for (Node child : element.childNodes()) {
            if (child instanceof TextNode t) {
                out.words(t.getWholeText());
            } else if (child instanceof Element e) {
                element(e, out);
            }
        }
    }

    private static void element(Element e, Writer out) {
        if (dropped(e)) {
            return;
        }
        String tag = e.normalName();
        if (HEADING.matcher(tag).matches()) {
            out.endBlock();
            String text = inline(e);
            if (!text.isEmpty()) {
                out.blocks.add("#".repeat(tag.charAt(1) - '0') + " " + text);
            }
        } else if (tag.equals("pre")) {
            out.endBlock();
            String code = e.wholeText().replaceAll("\\s+$", "").replaceAll("^\\n+", "");
            if (!code.isBlank()) {
                out.add("```\n" + code + "\n```");
            }
        } else if (tag.equals("dl")) {
            out.endBlock();
            definitions(e, out);
        } else if (tag.equals("table")) {
            out.endBlock();
            table(e, out);
        } else if (tag.equals("li")) {
            out.endBlock();
            walk(e, out);
            out.endBlock();
        } else if (BLOCKS.contains(tag)) {
            out.endBlock();
            walk(e, out);
            out.endBlock();
        } else {
            walk(e, out);
        }
    }

    /** The element's text on one line, what is dropped left out. */
    static String inline(Element e) {
        Writer w = new Writer();
        walk(e, w);
        StringBuilder all = new StringBuilder();
        for (String b : w.blocks) {
            all.append(b).append(' ');
        }
        all.append(w.line);
        return SPACE.matcher(all.toString().replace("```", "")).replaceAll(" ").strip();
    }

    /** Each term with its definition: "term: first paragraph", the definition's other blocks after it. */
    private static void definitions(Element dl, Writer out) {
        List<String> terms = new ArrayList<>();
        for (Element child : dl.children()) {
            if (dropped(child)) {
                continue;
            }
            if (child.normalName().equals("dt")) {
                String term = inline(child);
                if (!term.isEmpty()) {
                    terms.add(term);
                }
            } else if (child.normalName().equals("dd")) {
                Writer definition = new Writer();
                walk(child, definition);
                definition.endBlock();
                List<String> blocks = definition.blocks;
                String term = String.join(", ", terms);
                terms.clear();
                if (blocks.isEmpty()) {
                    out.add(term);
                    continue;
                }
                String first = blocks.get(0);
                if (term.isEmpty()) {
                    out.add(first);
                } else if (first.startsWith("```") || first.startsWith("#")) {
                    out.add(term + ":");
                    out.add(first);
                } else {
                    // a definition is a statement about its term: it ends as a sentence does
                    out.add(term + (term.endsWith(":") ? " " : ": ") + first + (first.matches(".*[.!?:;]$") ? "" : "."));
                }
                for (int i = 1; i < blocks.size(); i++) {
                    out.add(blocks.get(i));
                }
            } else {
                walk(child, out);
                out.endBlock();
            }
        }
        if (!terms.isEmpty()) {
            out.add(String.join(", ", terms));
        }
    }

    /**
     * A table row by row, each cell with its column's header: "first cell — Header: cell; Header: cell." A table
     * without a header row gives its rows' cells joined by "; ". The caption is a heading.
     */
    private static void table(Element table, Writer out) {
        Element caption = table.selectFirst("caption");
        if (caption != null && !inline(caption).isEmpty()) {
            out.blocks.add("#### " + inline(caption));
        }
        List<List<String>> rows = new ArrayList<>();
        List<String> header = null;
        for (Element tr : table.select("tr")) {
            if (tr.closest("table") != table) {
                continue;
            }
            List<String> cells = new ArrayList<>();
            boolean allHeads = true;
            for (Element cell : tr.children()) {
                if (cell.normalName().equals("td") || cell.normalName().equals("th")) {
                    cells.add(inline(cell));
                    allHeads &= cell.normalName().equals("th");
                }
            }
            if (cells.stream().allMatch(String::isEmpty)) {
                continue;
            }
            if (header == null && rows.isEmpty() && (allHeads || tr.closest("thead") != null)) {
                header = cells;
            } else {
                rows.add(cells);
            }
        }
        for (List<String> cells : rows) {
            StringBuilder row = new StringBuilder(cells.get(0));
            for (int i = 1; i < cells.size(); i++) {
                if (cells.get(i).isEmpty()) {
                    continue;
                }
                String head = header != null && i < header.size() ? header.get(i) : "";
                row.append(i == 1 ? (header != null ? " — " : "; ") : "; ")
                        .append(head.isEmpty() ? "" : head + ": ").append(cells.get(i));
            }
            String text = row.toString().strip();
            if (!text.isEmpty()) {
                out.add(text.matches(".*[.!?]$") ? text : text + ".");
            }
        }
    }
}
