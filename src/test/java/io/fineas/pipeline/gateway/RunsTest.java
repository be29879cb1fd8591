package io.fineas.pipeline.gateway;

import java.util.List;

import io.fineas.pipeline.messages.RunSummary;
import io.fineas.pipeline.support.SharedStores;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs recorded from their alerts, on the shared Mongo wire server. */
@ExtendWith(SharedStores.class)
class RunsTest {

    private final SharedStores.Catalog catalog = SharedStores.freshCatalog("runs");
    private final Runs runs = new Runs(catalog.system().getCollection("runs"),
            catalog.system().getCollection("run_failures"));
    private final ApiKeys.Caller admin = new ApiKeys.Caller("key_admin", "admin", List.of("admin"));

    private static String alert(String runId, String topic) {
        return "{\"run_id\":\"" + runId + "\",\"topic\":\"" + topic + "\",\"segment_targets\":[\"news\"],"
                + "\"requested_at\":\"2026-11-26T12:00:00Z\",\"requested_by\":\"key_1\"}";
    }

    @Test
    void aBatchOfAlertsIsRecordedOnceEachWhateverCameFirst() {
        // a processor's summary of run-2 came before its alert, and run-1's alert is delivered twice
        runs.processorFinished(new RunSummary("run-2", "rss", "finance", "news", "succeeded", 1, 1, 0, 1, 0,
                "2026-11-26T12:00:01Z", "2026-11-26T12:00:02Z", 1000));
        runs.requested(List.of(alert("run-1", "finance")));

        runs.requested(List.of(alert("run-1", "finance"), "not an alert", alert("run-2", "finance"),
                alert("run-3", "sports")));

        assertThat(catalog.system().getCollection("runs").countDocuments()).isEqualTo(3);
        Document two = runs.get("run-2", admin);
        assertThat(two).containsEntry("topic", "finance").containsEntry("requested_by", "key_1")
                .containsEntry("processors_reported", 1).containsEntry("status", "reported");
        assertThat(runs.get("run-3", admin)).containsEntry("topic", "sports").containsEntry("status", "requested");
        assertThat(runs.get("run-1", admin)).containsEntry("segment_targets", List.of("news"));
    }

    private static String failure(String runId, int item) {
        return "{\"run_id\":\"" + runId + "\",\"processor_id\":\"rss\",\"topic\":\"finance\",\"segment\":\"news\","
                + "\"parameters\":{\"item\":" + item + "},\"error\":\"timed out\",\"failed_at\":\"2026-11-26T12:00:"
                + String.format("%02d", item % 60) + "Z\"}";
    }

    @Test
    void aRunShowsItsFirstFailuresAndCountsThemAll() {
        runs.requested(List.of(alert("run-few", "finance"), alert("run-many", "finance")));
        List<String> many = new java.util.ArrayList<>();
        for (int i = 0; i < Runs.MAX_FAILURES + 3; i++) {
            many.add(failure("run-many", i));
        }
        runs.failed(many);
        runs.failed(List.of(failure("run-few", 1), failure("run-few", 2), failure("run-few", 1)));

        Document few = runs.get("run-few", admin);
        assertThat((List<?>) few.get("failures")).hasSize(2);
        assertThat(few).containsEntry("failures_total", 2L);
        Document lots = runs.get("run-many", admin);
        assertThat((List<?>) lots.get("failures")).hasSize(Runs.MAX_FAILURES);
        assertThat(lots).containsEntry("failures_total", (long) Runs.MAX_FAILURES + 3);
    }
}
