package io.fineas.pipeline.processors;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.messages.CaptureFailure;
import io.fineas.pipeline.messages.RunSummary;
import io.fineas.pipeline.support.SharedStores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A processor's runs without an application (the shared broker and Mongo wire server hold the topics, the status and
 * the ledger): which alerts start a run, and the summary of a run with a failed item.
 */
@ExtendWith(SharedStores.class)
class ProcessorRunsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path root;

    private MongoDatabase system;
    private ProcessorStatus status;
    private CaptureLedger ledger;
    private ProcessorRuns runs;
    private ProcessorConfig http;
    private ProcessorConfig files;
    private Segments segments;

    @BeforeEach
    void processors() {
        SharedStores.Catalog catalog = SharedStores.freshCatalog("runs");
        system = catalog.system();
        MongoDatabase data = catalog.data();
        TopicRegistry topics = catalog.topics();
        segments = catalog.segments();
        topics.createTopic("finance");
        segments.createSegment("finance", "quotes");
        status = new ProcessorStatus(system.getCollection("processors"), segments);
        ledger = new CaptureLedger(data, system.getCollection("processor_runs"), Runnable::run);
        http = config("quotes", "http", "quotes", "https://example.org/q/{ticker}?x={n}", null);
        files = config("notes", "file", "notes", null, root);
        runs = new ProcessorRuns(List.of(http, files), topics, segments, status, Duration.ofHours(1), ledger);
    }

    private static ProcessorConfig config(String id, String kind, String segment, String url, Path root) {
        return new ProcessorConfig(id, Path.of(id + ".yaml"), "finance", segment, kind, url, Map.of(), root,
                List.of(Map.of("ticker", "A B&C", "n", 1)), 10, 2, 1, 0, 1000, CaptureGuard.Rules.defaults());
    }

    private static String alert(String topic, List<String> segments, Instant requested) throws IOException {
        return JSON.writeValueAsString(new Alert("run-" + UUID.randomUUID(), topic, segments, requested.toString(), null, null));
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
    void aFailedItemIsCountedAndDeadLetteredWithWhyAndTheSummarySaysPartial() {
        ProcessorConfig threeItems = new ProcessorConfig("quotes", http.file(), "finance", "quotes", "http",
                http.urlTemplate(), Map.of(), null, List.of(Map.of("ticker", "A"), Map.of("ticker", "B"),
                        Map.of("ticker", "X")), 10, 2, 1, 0, 1000, CaptureGuard.Rules.defaults());
        ProcessorRun run = new ProcessorRun(threeItems, "r4", null, "data-finance", Instant.now().toString(), "g2");
        run.captured(3);
        run.captured(0);

        CaptureFailure failure = new CaptureRecords().failure(run, Map.of("ticker", "X"), new IllegalStateException("boom"));
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
