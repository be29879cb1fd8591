package io.fineas.pipeline.rag;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The text read from captured content is bounded in size and in the work to make it, for every content type. */
class TextExtractionTest {

    private static final int MAX = 100_000;

    /** A 200 KB JSON document nested 900 deep with its leaves at the bottom: the path repeated on each leaf. */
    private static String deepJson() {
        StringBuilder json = new StringBuilder();
        int depth = 900;
        json.append("{\"k\":".repeat(depth));
        json.append('[');
        while (json.length() < 200_000) {
            json.append("\"leaf\",");
        }
        json.setLength(json.length() - 1);
        json.append(']').append("}".repeat(depth));
        return json.toString();
    }

    @Test
    void aDeeplyNestedJsonDocumentExpandsToBoundedTextInBoundedTime() {
        String json = deepJson();
        long t0 = System.nanoTime();
        String text = TextExtraction.text(json, "application/json", MAX);
        long millis = (System.nanoTime() - t0) / 1_000_000;

        // before: every one of the 28,000 leaves carried its 2,700-character path: 75 MB of text
        assertThat(text.length()).isLessThanOrEqualTo(MAX);
        assertThat(text).contains("leaf").startsWith("\u2026");
        assertThat(text.lines().findFirst().orElseThrow().length())
                .isLessThanOrEqualTo(TextExtraction.MAX_PATH_CHARS + 10);
        assertThat(millis).as("ms to read 200 KB of nested JSON").isLessThan(5_000);
    }

    @Test
    void shallowJsonReadsAsPathAndValueLines() {
        assertThat(TextExtraction.text("{\"a\":{\"b\":[1,{\"c\":\"x\"}]},\"d\":null,\"e\":true}", "application/json",
                MAX)).isEqualTo("a.b[0]: 1\na.b[1].c: x\ne: true");
        assertThat(TextExtraction.text("[\"p\",\"q\"]", null, MAX)).isEqualTo("[0]: p\n[1]: q");
    }

    @Test
    void everyContentTypeIsCutAtTheLimitWithoutSplittingACharacter() {
        String plain = "word ".repeat(50_000);
        // cut at the limit (a space there is then stripped)
        assertThat(TextExtraction.text(plain, "text/plain", MAX).length()).isBetween(MAX - 1, MAX);
        String html = "<html><body>" + "<p>para</p>".repeat(40_000) + "</body></html>";
        assertThat(TextExtraction.text(html, "text/html", MAX).length()).isLessThanOrEqualTo(MAX);
        String emoji = "a" + "\uD83D\uDE00".repeat(MAX);
        String cut = TextExtraction.text(emoji, "text/plain", MAX);
        assertThat(cut.length()).isLessThanOrEqualTo(MAX);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.length() - 1))).isFalse();
        assertThat(TextExtraction.text("x <" + " ".repeat(80_000), "text/plain", MAX)).isEqualTo("x <");
    }

    /**
     * Text shaped to make langchain4j's recursive splitter slow, as the ingestion splits it: "x <", 80,000 spaces and a
     * digit took 42 s, 200,000 characters of "?!" 10 s, "a." 5 s. Runs of spaces and of one mark are compacted and no
     * paragraph given to the splitter is longer than 4,000 characters: each takes well under a few seconds now.
     */
    @Test
    void textShapedToSlowTheSplitterIsSplitInBoundedTime() {
        dev.langchain4j.data.document.DocumentSplitter splitter =
                dev.langchain4j.data.document.splitter.DocumentSplitters.recursive(800, 80);
        for (String hostile : new String[] {"x <" + " ".repeat(80_000) + "0", "?!".repeat(100_000),
                "a.".repeat(100_000), "...x".repeat(50_000), "." + "=".repeat(200_000)}) {
            long t0 = System.nanoTime();
            String text = TextExtraction.text(hostile, "text/plain", 500_000);
            int chunks = splitter.split(dev.langchain4j.data.document.Document.from(
                    TextExtraction.boundedParagraphs(text, 4000))).size();
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertThat(millis).as(hostile.substring(0, 6) + "...: " + chunks + " chunks").isLessThan(5_000);
        }
        assertThat(TextExtraction.text("a  b\t\tc\n\n\n\nd ----------------------------", "text/plain", 100))
                .isEqualTo("a b c\n\nd ----------------");
        String bounded = TextExtraction.boundedParagraphs("word ".repeat(2_000) + "\n\nshort", 4000);
        String[] paragraphs = bounded.split("\n\n");
        assertThat(paragraphs).allSatisfy(p -> assertThat(p.length()).isLessThanOrEqualTo(4000));
        assertThat(paragraphs[paragraphs.length - 1]).isEqualTo("short");
        assertThat(bounded.replace("\n\n", "")).isEqualTo(("word ".repeat(2_000) + "short"));
    }
}
