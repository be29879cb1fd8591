package io.fineas.pipeline.processors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.fineas.pipeline.messages.CapturedRecord;

/** One run of one processor for one alert: what it captures and how far it got. Shared by the run's workers. */
public final class ProcessorRun {

    private final ProcessorConfig config;
    private final String runId;
    private final String dataTopic;
    private final long startedNanos = System.nanoTime();
    private final String startedAt;
    private final AtomicInteger captured = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger records = new AtomicInteger();
    private final AtomicInteger unchanged = new AtomicInteger();

    private final String generation;
    /**
     * The segment's capture ledger, read ahead once for a run of a data list (CaptureLedger#readAhead); empty when
     * not read (a network task's run, a segment too large, a failed read): each source is looked up instead.
     */
    private volatile CompletableFuture<Optional<Map<String, CaptureLedger.Entry>>> ledger =
            CompletableFuture.completedFuture(Optional.empty());
    /** Records Kafka acknowledged whose ledger entries are not written yet, by source (CaptureLedger, in bulk). */
    private final Map<String, CapturedRecord> unremembered = new ConcurrentHashMap<>();

    private final String requestedBy;

    ProcessorRun(ProcessorConfig config, String runId, String requestedBy, String dataTopic, String startedAt,
            String generation) {
        this.config = config;
        this.requestedBy = requestedBy;
        this.generation = generation;
        this.runId = runId;
        this.dataTopic = dataTopic;
        this.startedAt = startedAt;
    }

    public ProcessorConfig getConfig() {
        return config;
    }

    public String getProcessorId() {
        return config.id();
    }

    /** The id of the key that requested the run, or null. */
    public String getRequestedBy() {
        return requestedBy;
    }

    public String getRunId() {
        return runId;
    }

    /** The source's request headers (secrets included: only the http-get step reads them). */
    public Map<String, String> getHeaders() {
        return config.headers();
    }

    public String getKind() {
        return config.kind();
    }

    /** The generation of the segment the run captures for (records carry it; an older one is dropped downstream). */
    public String getGeneration() {
        return generation;
    }

    public String getDataTopic() {
        return dataTopic;
    }

    public List<Map<String, Object>> getItems() {
        return config.items();
    }

    public String getStartedAt() {
        return startedAt;
    }

    /** An item was captured and produced this many records. */
    public void captured(int recordCount) {
        captured.incrementAndGet();
        records.addAndGet(recordCount);
    }

    /** This many records of an item were captured as they were already published: not published again. */
    public void unchanged(int count) {
        unchanged.addAndGet(count);
    }

    public int unchangedCount() {
        return unchanged.get();
    }

    /** Whether the run's items go to the open capture network's nodes (dispatched, not captured here). */
    public boolean isNetwork() {
        return config.isNetwork();
    }

    /** This many items were dispatched to the network as tasks: counted as the run's items done. */
    public void dispatched(int items) {
        captured.addAndGet(items);
    }

    public void failed() {
        failed.incrementAndGet();
    }

    public int capturedCount() {
        return captured.get();
    }

    public int failedCount() {
        return failed.get();
    }

    public int recordCount() {
        return records.get();
    }

    public long elapsedMillis() {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** Adds acknowledged records to those whose ledger entries wait to be written; how many wait now. */
    int rememberLater(List<CapturedRecord> acknowledged) {
        acknowledged.forEach(r -> unremembered.put(r.sourceId(), r));
        return unremembered.size();
    }

    /** The acknowledged record of this source whose ledger entry is not written yet, or null. */
    CapturedRecord unremembered(String sourceId) {
        return unremembered.get(sourceId);
    }

    /** The records whose ledger entries wait, taken out to be written (one writer gets each). */
    List<CapturedRecord> takeUnremembered() {
        List<CapturedRecord> out = new ArrayList<>();
        for (Map.Entry<String, CapturedRecord> e : unremembered.entrySet()) {
            if (unremembered.remove(e.getKey(), e.getValue())) {
                out.add(e.getValue());
            }
        }
        return out;
    }

    void readLedger(CompletableFuture<Optional<Map<String, CaptureLedger.Entry>>> reading) {
        ledger = reading;
    }

    /** The segment's ledger entries as read ahead for this run (waits for the read), or empty. */
    Optional<Map<String, CaptureLedger.Entry>> ledger() {
        return ledger.join();
    }
}
