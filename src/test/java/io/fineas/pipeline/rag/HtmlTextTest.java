package io.fineas.pipeline.rag;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** An HTML page as a reader sees it: chrome dropped, terms with definitions, rows with headers, headings and code. */
class HtmlTextTest {

    private static final String PAGE = """
            <!DOCTYPE html><html><head><title>t</title><script>var x = 1;</script></head><body>
            <div class="navheader"><a href="a.html">Prev</a> <a href="b.html">Next</a></div>
            <nav><ul><li>Home</li><li>Chapters</li></ul></nav>
            <div class="sphinxsidebar" role="navigation"><h3>Table of Contents</h3><ul><li>8.1 Numeric</li></ul></div>
            <h1>8.1. Numeric Types<a class="headerlink" href="#x">¶</a></h1>
            <p>Numeric types consist of   integers.</p>
            <div class="toc"><dl><dt>8.1.1. Integer Types</dt></dl></div>
            <table><thead><tr><th>Name</th><th>Storage Size</th><th>Range</th></tr></thead>
            <tbody><tr><td>smallint</td><td>2 bytes</td><td>-32768 to +32767</td></tr></tbody></table>
            <dl><dt><code>-a</code></dt><dt><code>--annotate</code></dt><dd><p>Make an annotated tag object</p>
            <p>A second paragraph.</p></dd></dl>
            <p>Use the command:</p><pre>git tag -a v1.0
            git push --tags</pre>
            <div class="navfooter"><a href="a.html">Prev</a> <a href="b.html">Next</a></div>
            <p>Numeric types consist of integers.</p>
            <footer>Copyright 2024</footer>
            </body></html>""";

    @Test
    void navigationTablesOfContentsHeadersAndFootersAreDropped() {
        String text = HtmlText.text(PAGE);
        assertThat(text).doesNotContain("Prev", "Next", "Home", "Table of Contents", "8.1.1. Integer Types",
                "Copyright", "var x", "¶");
    }

    @Test
    void headingsAreMarkedTermsKeepTheirDefinitionsAndRowsTheirHeaders() {
        List<String> blocks = List.of(HtmlText.text(PAGE).split("\n\n"));
        assertThat(blocks).contains("# 8.1. Numeric Types", "Numeric types consist of integers.",
                "smallint — Storage Size: 2 bytes; Range: -32768 to +32767.",
                "-a, --annotate: Make an annotated tag object.", "A second paragraph.",
                "```\ngit tag -a v1.0\ngit push --tags\n```");
        assertThat(blocks).as("a block the page repeats (a second notice, a footer bar) is kept once")
                .containsOnlyOnce("Numeric types consist of integers.");
    }

    @Test
    void aRealManualPageReadsAsItsContent() throws Exception {
        String text = TextExtraction.text(Files.readString(Path.of("eval/manuals/site/postgresql/limits.html")),
                "text/html", 500_000);
        assertThat(text).contains("columns per table — Upper Limit: 1,600; Comment: further limited by tuple size")
                .doesNotContain("Prev Up", "Home Next");
        String python = TextExtraction.text(Files.readString(Path.of(
                "eval/manuals/site/python/library/heapq.html")), "text/html", 500_000);
        assertThat(python).contains("heapq.heappop(heap): Pop and return the smallest item from the heap")
                .doesNotContain("Navigation", "Report a Bug", "Show Source");
    }

    @Test
    void eachChunkCarriesTheHeadingsItStandsUnder() {
        String text = "# Numeric Types\n\nIntro text here.\n\n## Integer Types\n\nThe smallint type is small.\n\n"
                + "More on integers.";
        List<String> chunks = HeadingContext.apply(text, List.of("# Numeric Types\n\nIntro text here.",
                "The smallint type is small.", "More on integers."));
        assertThat(chunks).containsExactly("# Numeric Types\n\nIntro text here.",
                "# Numeric Types \u203a Integer Types\n\nThe smallint type is small.",
                "# Numeric Types \u203a Integer Types\n\nMore on integers.");
        assertThat(HeadingContext.apply("plain text", List.of("plain text"))).containsExactly("plain text");
    }
}
