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
        CaptureLedger ledger = new CaptureLedger(catalog.data(), catalog.system().getCollection("processor_runs"),
                Runnable::run);
        ProcessorRun old = new ProcessorRun(CONFIG, "run-old", null, "data-t", "now", "g1");
        // the run of the deleted generation writes its ledger back after the delete
        ledger.published(old, List.of(record("g1", "copper rose")));
        ledger.remember(old);

        ProcessorRun renewed = new ProcessorRun(CONFIG, "run-new", null, "data-t", "now", "g2");
        assertThat(ledger.fresh(renewed, List.of(record("g2", "copper rose"))).records()).hasSize(1);
        ledger.published(renewed, List.of(record("g2", "copper rose")));
        ledger.remember(renewed);
        // within one generation the same content is unchanged, as before
        CaptureLedger.Fresh again = ledger.fresh(renewed, List.of(record("g2", "copper rose")));
        assertThat(again.records()).isEmpty();
        assertThat(again.unchanged()).isEqualTo(1);
    }

    private static CapturedRecord record(int source, String content) {
        return CapturedRecord.of("t", "s", "ledger", "run", null, "g1", Map.of("n", source),
                new CapturedRecord.Source("http", "https://example.org/" + source), "2026-12-02T10:00:00Z",
                "text/plain", io.fineas.pipeline.common.Hashes.sha256Hex(content), CapturedRecord.Extra.NONE, content);
    }

    @Test
    void entriesAreWrittenInBulkEverySixtyFourRecordsAndAtTheEndOfABatchAndCountMeanwhile() {
        SharedStores.Catalog catalog = SharedStores.freshCatalog("ledger-bulk");
        CaptureLedger ledger = new CaptureLedger(catalog.data(), catalog.system().getCollection("processor_runs"),
                Runnable::run);
        var entries = catalog.data().getCollection("t");
        ProcessorRun run = new ProcessorRun(CONFIG, "run-1", null, "data-t", "now", "g1");
        for (int i = 0; i < CaptureLedger.WRITE_EVERY - 1; i++) {
            ledger.published(run, List.of(record(i, "text " + i)));
        }
        assertThat(entries.countDocuments()).as("not written yet").isZero();
        // a source acknowledged but not written yet is unchanged for the same run all the same
        CaptureLedger.Fresh seen = ledger.fresh(run, List.of(record(3, "text 3"), record(3, "text 3 revised")));
        assertThat(seen.unchanged()).isEqualTo(1);
        assertThat(seen.records()).extracting(CapturedRecord::content).containsExactly("text 3 revised");

        ledger.published(run, List.of(record(63, "text 63")));
        assertThat(entries.countDocuments()).as("the 64th writes them all").isEqualTo(CaptureLedger.WRITE_EVERY);
        ledger.published(run, List.of(record(64, "text 64")));
        ledger.remember(run);
        assertThat(entries.countDocuments()).as("the end of the batch writes the rest").isEqualTo(65);
        ledger.remember(run);
        assertThat(entries.countDocuments()).isEqualTo(65);

        // a later run finds them all
        ProcessorRun next = new ProcessorRun(CONFIG, "run-2", null, "data-t", "now", "g1");
        assertThat(ledger.fresh(next, List.of(record(0, "text 0"), record(64, "text 64"))).unchanged()).isEqualTo(2);
        // and so does one that reads the segment's entries once: then what it remembers joins what it read
        ProcessorRun once = new ProcessorRun(CONFIG, "run-3", null, "data-t", "now", "g1");
        ledger.readAhead(once);
        assertThat(ledger.fresh(once, List.of(record(0, "text 0"), record(1, "text 1 revised"), record(65, "new")))
                .records()).extracting(CapturedRecord::content).containsExactly("text 1 revised", "new");
        catalog.data().getCollection("t").deleteMany(new org.bson.Document()); // read once: not looked up again
        assertThat(ledger.fresh(once, List.of(record(2, "text 2"))).unchanged()).isEqualTo(1);
        ledger.published(once, List.of(record(65, "new")));
        ledger.remember(once);
        assertThat(ledger.fresh(once, List.of(record(65, "new"))).unchanged()).isEqualTo(1);
    }
}
