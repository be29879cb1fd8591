package io.fineas.pipeline.processors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.messages.CapturedRecord;
import io.fineas.pipeline.support.SharedStores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The capture ledger says "unchanged" only for the same content published for the same generation of the segment.
 * A run in flight while its segment was deleted writes its ledger back after the delete; after the segment was created
 * again, a new run found everything "unchanged" and the new segment stayed empty for good.
 */
@ExtendWith(SharedStores.class)
class CaptureLedgerTest {

    private static final ProcessorConfig CONFIG = new ProcessorConfig("ledger", Path.of("ledger.yaml"), "t", "s",
            "http", "https://example.org/{n}", Map.of(), null, List.of(Map.of("n", 1)), 10, 1, 0, 0, 1000,
            CaptureGuard.Rules.defaults());

    private static CapturedRecord record(String generation, String content) {
        return CapturedRecord.of("t", "s", "ledger", "run", null, generation, Map.of("n", 1),
                new CapturedRecord.Source("http", "https://example.org/1"), "2026-12-02T10:00:00Z", "text/plain",
                io.fineas.pipeline.common.Hashes.sha256Hex(content), CapturedRecord.Extra.NONE, content);
    }

    @Test
    void aLedgerEntryOfAnEarlierGenerationDoesNotMakeTheNewSegmentsRecordUnchanged() {
        SharedStores.Catalog catalog = SharedStores.freshCatalog("ledger");
        CaptureLedger ledger = new CaptureLedger(catalog.data(), catalog.system().getCollection("processor_runs"));
        ProcessorRun old = new ProcessorRun(CONFIG, "run-old", null, "data-t", "now", "g1");
        // the run of the deleted generation writes its ledger back after the delete
        ledger.published(old, List.of(record("g1", "copper rose")));

        ProcessorRun renewed = new ProcessorRun(CONFIG, "run-new", null, "data-t", "now", "g2");
        assertThat(ledger.fresh(renewed, List.of(record("g2", "copper rose"))).records()).hasSize(1);
        ledger.published(renewed, List.of(record("g2", "copper rose")));
        // within one generation the same content is unchanged, as before
        CaptureLedger.Fresh again = ledger.fresh(renewed, List.of(record("g2", "copper rose")));
        assertThat(again.records()).isEmpty();
        assertThat(again.unchanged()).isEqualTo(1);
    }
}
