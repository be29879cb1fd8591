package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.rometools.rome.feed.synd.SyndContentImpl;
import com.rometools.rome.feed.synd.SyndEntry;
import com.rometools.rome.feed.synd.SyndEntryImpl;
import com.rometools.rome.feed.synd.SyndFeedImpl;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.CapturedRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** What a run captures, without anything running: an item's URL and the records of each source kind. */
class CaptureRecordsTest {

    @TempDir
    Path root;

    private final CaptureRecords capture = new CaptureRecords();
    private final ProcessorConfig http = config("quotes", "http", "https://example.org/q/{ticker}?x={n}", null);

    private static ProcessorConfig config(String id, String kind, String url, Path root) {
        return new ProcessorConfig(id, Path.of(id + ".yaml"), "finance", "quotes", kind, url, Map.of(), root,
                List.of(Map.of("ticker", "A B&C", "n", 1)), 10, 2, 1, 0, 1000, CaptureGuard.Rules.defaults());
    }

    @Test
    void anItemsUrlIsTheTemplateWithItsValuesEncoded() {
        ProcessorRun run = new ProcessorRun(http, "r1", "key_1", "data-finance", "now", null);
        assertThat(capture.url(run, Map.of("ticker", "A B&C/../x", "n", 2)))
                .isEqualTo("https://example.org/q/A+B%26C%2F..%2Fx?x=2");
    }

    @Test
    void anHttpCaptureIsOneRecordWithItsProvenanceAndContentHash() {
        ProcessorRun run = new ProcessorRun(http, "r1", "key_1", "data-finance", "now", "g1");
        Map<String, Object> item = Map.of("ticker", "AAPL");

        CapturedRecord r = capture.httpRecords(run, item, "https://example.org/q/AAPL", "{\"p\":1}", null).get(0);

        assertThat(r).extracting(CapturedRecord::topic, CapturedRecord::segment, CapturedRecord::processorId,
                CapturedRecord::runId, CapturedRecord::generation, CapturedRecord::parameters,
                CapturedRecord::sourceId, CapturedRecord::contentType, CapturedRecord::contentHash,
                CapturedRecord::content).containsExactly("finance", "quotes", "quotes", "r1", "g1", item,
                "https://example.org/q/AAPL", "application/octet-stream", Hashes.sha256Hex("{\"p\":1}"), "{\"p\":1}");
        assertThat(r.source().kind()).isEqualTo("http");
        // who requested the run: the analysis's tokens are counted against that key
        assertThat(r.requestedBy()).isEqualTo("key_1");
        assertThat(r.title()).isNull();
        assertThat(capture.httpRecords(run, item, "u", null, "text/plain").get(0).content()).isEmpty();
    }

    @Test
    void aFeedIsOneRecordPerEntryIdentifiedByItsLink() {
        ProcessorRun run = new ProcessorRun(config("feed", "rss", "https://e.org/{ticker}", null), "r2",
                null, "data-finance", "now", null);
        SyndEntry rss = new SyndEntryImpl();
        rss.setTitle(" Acme ships ");
        rss.setLink("https://e.org/acme");
        SyndContentImpl description = new SyndContentImpl();
        description.setValue("Acme shipped 10 units.");
        rss.setDescription(description);
        rss.setPublishedDate(Date.from(Instant.parse("2026-11-25T10:00:00Z")));
        SyndEntry atom = new SyndEntryImpl();
        atom.setTitle("Update");
        atom.setUri("urn:entry:7");
        atom.setUpdatedDate(Date.from(Instant.parse("2026-11-24T10:00:00Z")));
        SyndFeedImpl feed = new SyndFeedImpl();
        feed.setEntries(List.of(rss, atom));

        List<CapturedRecord> records = capture.rssRecords(run, Map.of("ticker", "ACME"), "https://e.org/ACME", feed);

        assertThat(records).extracting(CapturedRecord::sourceId).containsExactly("https://e.org/acme", "urn:entry:7");
        assertThat(records.get(0).content()).isEqualTo("Acme ships\n\nAcme shipped 10 units.");
        assertThat(records.get(0)).extracting(CapturedRecord::title, CapturedRecord::link, CapturedRecord::publishedAt,
                CapturedRecord::feed, CapturedRecord::contentType).containsExactly(" Acme ships ",
                "https://e.org/acme", "2026-11-25T10:00:00Z", "https://e.org/ACME", "text/html");
        // an Atom entry with only <updated>
        assertThat(records.get(1).publishedAt()).isEqualTo("2026-11-24T10:00:00Z");
    }

    @Test
    void aFolderIsOneRecordPerVisibleFileAndAPathMayNotLeaveTheRoot() throws IOException {
        Files.createDirectories(root.resolve("reports/2026"));
        Files.createDirectories(root.resolve("reports/.drafts"));
        Files.writeString(root.resolve("reports/summary.md"), "# Summary");
        Files.writeString(root.resolve("reports/2026/q3.txt"), "Q3 revenue rose.");
        Files.writeString(root.resolve("reports/.hidden.txt"), "not for capture");
        Files.writeString(root.resolve("reports/.drafts/d.txt"), "not for capture");
        ProcessorRun run = new ProcessorRun(config("notes", "file", null, root), "r3", null, "data-finance", "now", null);

        List<CapturedRecord> records = capture.fileRecords(run, Map.of("path", "reports"));

        assertThat(records).extracting(CapturedRecord::sourceId).containsExactly("reports/2026/q3.txt",
                "reports/summary.md");
        assertThat(records).extracting(CapturedRecord::fileName).containsExactly("q3.txt", "summary.md");
        assertThat(catchThrowable(() -> capture.fileRecords(run, Map.of("path", "../outside"))))
                .hasMessageContaining("outside the source root");
        Files.write(root.resolve("blob.bin"), new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThat(catchThrowable(() -> capture.fileRecords(run, Map.of("path", "blob.bin"))))
                .hasMessageContaining("'blob.bin' is not UTF-8 text");
    }

    /** A symbolic link inside the root that leads out of it (to a file, or as a folder) is refused, not followed. */
    @Test
    void aSymbolicLinkOutOfTheRootIsRefused(@org.junit.jupiter.api.io.TempDir Path elsewhere) throws IOException {
        Files.writeString(elsewhere.resolve("secret.txt"), "SECRET outside the root");
        Files.createDirectories(root.resolve("notes"));
        Files.writeString(root.resolve("notes/a.txt"), "inside");
        Files.createSymbolicLink(root.resolve("notes/leak.txt"), elsewhere.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("outdir"), elsewhere);
        Files.createSymbolicLink(root.resolve("inside.txt"), root.resolve("notes/a.txt"));
        ProcessorRun run = new ProcessorRun(config("notes", "file", null, root), "r4", null, "data-finance", "now", null);

        for (String path : new String[] {"notes", "notes/leak.txt", "outdir", "outdir/secret.txt"}) {
            assertThat(catchThrowable(() -> capture.fileRecords(run, Map.of("path", path)))).as(path)
                    .hasMessageContaining("links outside the source root");
        }
        // a link that stays inside the root is read
        assertThat(capture.fileRecords(run, Map.of("path", "inside.txt"))).singleElement()
                .satisfies(r -> assertThat(r.content()).isEqualTo("inside"));
    }
}
