package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.rometools.rome.feed.synd.SyndContentImpl;
import com.rometools.rome.feed.synd.SyndEntry;
import com.rometools.rome.feed.synd.SyndEntryImpl;
import com.rometools.rome.feed.synd.SyndFeedImpl;
import io.fineas.pipeline.catalog.KafkaTopicAdmin;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.messages.CaptureFailure;
import io.fineas.pipeline.messages.CapturedRecord;
import io.fineas.pipeline.messages.RunSummary;
import io.fineas.pipeline.support.PipelineInfrastructure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The processors' decisions and record shapes without an application (the shared broker and Mongo wire server hold
 * the topics, the status and the ledger): which alerts start a run, an item's URL, the records of each source kind,
 * a failed item's dead letter, the run's summary.
 */
@ExtendWith(PipelineInfrastructure.class)
class ProcessorRunsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static MongoClient client;
    private static KafkaTopicAdmin kafka;

    @TempDir
    Path root;

    private MongoDatabase system;
    private ProcessorStatus status;
    private CaptureLedger ledger;
    private ProcessorRuns runs;
    private ProcessorConfig http;
    private ProcessorConfig files;
    private Segments segments;

    @BeforeAll
    static void connect() {
        client = MongoClients.create(PipelineInfrastructure.mongoUri());
        kafka = new KafkaTopicAdmin(PipelineInfrastructure.bootstrapServers(), 1, (short) 1);
    }

    @AfterAll
    static void disconnect() {
        kafka.close();
        client.close();
    }

    @BeforeEach
    void processors() {
        String id = UUID.randomUUID().toString().substring(0, 8);
        system = client.getDatabase("system-" + id);
        MongoDatabase data = client.getDatabase("data-" + id);
        TopicRegistry topics = new TopicRegistry(system.getCollection("topics"), data, kafka, "runs-" + id + "-");
        segments = new Segments(topics);
        topics.createTopic("finance");
        segments.createSegment("finance", "quotes");
        status = new ProcessorStatus(system.getCollection("processors"), segments);
        ledger = new CaptureLedger(data, system.getCollection("processor_runs"));
        http = config("quotes", "http", "quotes", "https://example.org/q/{ticker}?x={n}", null);
        files = config("notes", "file", "notes", null, root);
        runs = new ProcessorRuns(List.of(http, files), topics, segments, status, Duration.ofHours(1), ledger);
    }

    private static ProcessorConfig config(String id, String kind, String segment, String url, Path root) {
        return new ProcessorConfig(id, Path.of(id + ".yaml"), "finance", segment, kind, url, Map.of(), root,
                List.of(Map.of("ticker", "A B&C", "n", 1)), 10, 2, 1, 0, 1000, CaptureGuard.Rules.defaults());
    }

    private static String alert(String topic, List<String> segments, Instant requested) throws IOException {
        return JSON.writeValueAsString(new Alert("run-" + UUID.randomUUID(), topic, segments, requested.toString()));
    }

    private int ignored(String processor) {
        var d = system.getCollection("processors").find(com.mongodb.client.model.Filters.eq("_id", processor)).first();
        return d == null || d.get("alerts_ignored") == null ? 0 : d.getInteger("alerts_ignored");
    }

    @Test
    void anAlertStartsARunOnlyForItsTopicAndSegmentWhileFreshAndNotYetRun() throws IOException {
        ProcessorRun run = runs.accept("quotes", alert("finance", List.of("quotes"), Instant.now()));
        assertThat(run).isNotNull();
        assertThat(run.getDataTopic()).endsWith("finance");
        assertThat(run.getGeneration()).isEqualTo(segments.segmentGeneration("finance", "quotes"));
        // "alert" targets the segment under any topic
        assertThat(runs.accept("quotes", alert(Alert.ANY_TOPIC, List.of("quotes"), Instant.now()))).isNotNull();

        assertThat(runs.accept("quotes", alert("energy", List.of("quotes"), Instant.now()))).isNull();
        assertThat(runs.accept("quotes", alert("finance", List.of("news"), Instant.now()))).isNull();
        assertThat(runs.accept("quotes", alert("finance", List.of("quotes"), Instant.now().minus(Duration.ofHours(2)))))
                .isNull();
        assertThat(ignored("quotes")).isEqualTo(3);

        // polled again after a crash that came between the end of the run and the commit of its alert
        String again = alert("finance", List.of("quotes"), Instant.now());
        ledger.finished(runs.accept("quotes", again));
        assertThat(runs.accept("quotes", again)).isNull();
        assertThat(ignored("quotes")).isEqualTo(4);
    }

    @Test
    void aProcessorWhoseSegmentIsMissingWaitsAndAMalformedAlertIsRefused() throws IOException {
        assertThat(runs.accept("notes", alert("finance", List.of("notes"), Instant.now()))).isNull();
        assertThat(status.list(t -> true).processors()).singleElement().satisfies(p -> {
            assertThat(p.id()).isEqualTo("notes");
            assertThat(p.status()).isEqualTo("waiting");
        });
        assertThat(catchThrowable(() -> runs.accept("quotes", "{\"run_id\": 1}")))
                .isInstanceOf(MalformedAlertException.class);
        assertThat(catchThrowable(() -> runs.accept("quotes", "not json")))
                .isInstanceOf(MalformedAlertException.class);
    }

    @Test
    void anItemsUrlIsTheTemplateWithItsValuesEncoded() {
        ProcessorRun run = new ProcessorRun(http, "r1", "data-finance", "now", null);
        assertThat(runs.url(run, Map.of("ticker", "A B&C/../x", "n", 2)))
                .isEqualTo("https://example.org/q/A+B%26C%2F..%2Fx?x=2");
    }

    @Test
    void anHttpCaptureIsOneRecordWithItsProvenanceAndContentHash() {
        ProcessorRun run = new ProcessorRun(http, "r1", "data-finance", "now", "g1");
        Map<String, Object> item = Map.of("ticker", "AAPL");

        CapturedRecord r = runs.httpRecords(run, item, "https://example.org/q/AAPL", "{\"p\":1}", null).get(0);

        assertThat(r).extracting(CapturedRecord::topic, CapturedRecord::segment, CapturedRecord::processorId,
                CapturedRecord::runId, CapturedRecord::generation, CapturedRecord::parameters,
                CapturedRecord::sourceId, CapturedRecord::contentType, CapturedRecord::contentHash,
                CapturedRecord::content).containsExactly("finance", "quotes", "quotes", "r1", "g1", item,
                "https://example.org/q/AAPL", "application/octet-stream", Hashes.sha256Hex("{\"p\":1}"), "{\"p\":1}");
        assertThat(r.source().kind()).isEqualTo("http");
        assertThat(r.title()).isNull();
        assertThat(runs.httpRecords(run, item, "u", null, "text/plain").get(0).content()).isEmpty();
    }

    @Test
    void aFeedIsOneRecordPerEntryIdentifiedByItsLink() {
        ProcessorRun run = new ProcessorRun(config("feed", "rss", "quotes", "https://e.org/{ticker}", null), "r2",
                "data-finance", "now", null);
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

        List<CapturedRecord> records = runs.rssRecords(run, Map.of("ticker", "ACME"), "https://e.org/ACME", feed);

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
        ProcessorRun run = new ProcessorRun(files, "r3", "data-finance", "now", null);

        List<CapturedRecord> records = runs.fileRecords(run, Map.of("path", "reports"));

        assertThat(records).extracting(CapturedRecord::sourceId).containsExactly("reports/2026/q3.txt",
                "reports/summary.md");
        assertThat(records).extracting(CapturedRecord::fileName).containsExactly("q3.txt", "summary.md");
        assertThat(catchThrowable(() -> runs.fileRecords(run, Map.of("path", "../outside"))))
                .hasMessageContaining("outside the source root");
        Files.write(root.resolve("blob.bin"), new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThat(catchThrowable(() -> runs.fileRecords(run, Map.of("path", "blob.bin"))))
                .hasMessageContaining("'blob.bin' is not UTF-8 text");
    }

    @Test
    void aFailedItemIsCountedAndDeadLetteredWithWhyAndTheSummarySaysPartial() {
        ProcessorConfig threeItems = new ProcessorConfig("quotes", http.file(), "finance", "quotes", "http",
                http.urlTemplate(), Map.of(), null, List.of(Map.of("ticker", "A"), Map.of("ticker", "B"),
                        Map.of("ticker", "X")), 10, 2, 1, 0, 1000, CaptureGuard.Rules.defaults());
        ProcessorRun run = new ProcessorRun(threeItems, "r4", "data-finance", Instant.now().toString(), "g2");
        run.captured(3);
        run.captured(0);

        CaptureFailure failure = runs.failure(run, Map.of("ticker", "X"), new IllegalStateException("boom"));
        RunSummary summary = runs.finish(run);

        assertThat(failure).extracting(CaptureFailure::topic, CaptureFailure::segment, CaptureFailure::runId,
                CaptureFailure::generation, CaptureFailure::error).containsExactly("finance", "quotes", "r4", "g2",
                "IllegalStateException: boom");
        assertThat(failure.source().kind()).isEqualTo("http");
        assertThat(summary.status()).isEqualTo("partial");
        assertThat(summary).extracting(RunSummary::items, RunSummary::itemsOk, RunSummary::itemsFailed,
                RunSummary::records).containsExactly(3, 2, 1, 3);
        assertThat(status.list(t -> true).processors()).filteredOn(p -> p.id().equals("quotes")).singleElement()
                .satisfies(p -> assertThat(p.lastRun()).isEqualTo(summary));
    }
}
