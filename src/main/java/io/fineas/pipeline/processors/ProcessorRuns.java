package io.fineas.pipeline.processors;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.RecordTraces;
import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.messages.RunSummary;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A processor's runs, called from the processor route: whether an alert starts a run for this processor, and the
 * run's summary once it has finished. What a run captures is shaped by {@link CaptureRecords}.
 */
public final class ProcessorRuns {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorRuns.class);

    private final Map<String, ProcessorConfig> configs = new LinkedHashMap<>();
    private final TopicRegistry topics;
    private final Segments segments;
    private final ProcessorStatus status;
    private final Duration maxAlertAge;
    private final CaptureLedger ledger;

    public ProcessorRuns(List<ProcessorConfig> configs, TopicRegistry topics, Segments segments, ProcessorStatus status,
            Duration maxAlertAge, CaptureLedger ledger) {
        configs.forEach(c -> this.configs.put(c.id(), c));
        this.topics = topics;
        this.segments = segments;
        this.status = status;
        this.maxAlertAge = maxAlertAge;
        this.ledger = ledger;
    }

    /**
     * The run an alert starts for this processor, or null when the alert is not for it (counted), too old, already
     * run to completion by this processor, or its topic or segment does not exist (reported). A record that is not an alert throws {@link MalformedAlertException}.
     */
    /**
     * As {@link #accept(String, String)}, and the processor's span of this alert (its route's, in the trace of the
     * POST /collect that sent it) says which run, topic and segment it was, and whether it ran.
     */
    public ProcessorRun accept(String processorId, String alertJson, org.apache.camel.Exchange exchange) {
        ProcessorRun run = accept(processorId, alertJson);
        ProcessorConfig config = configs.get(processorId);
        RecordTraces.tag(exchange, RecordTraces.STAGE, "processor");
        RecordTraces.tag(exchange, RecordTraces.PROCESSOR_ID, processorId);
        RecordTraces.tag(exchange, RecordTraces.TOPIC, config.topic());
        RecordTraces.tag(exchange, RecordTraces.SEGMENT, config.segment());
        RecordTraces.tag(exchange, "pipeline.run.started", run != null);
        if (run != null) {
            RecordTraces.tag(exchange, RecordTraces.RUN_ID, run.getRunId());
        }
        return run;
    }

    public ProcessorRun accept(String processorId, String alertJson) {
        ProcessorConfig config = configs.get(processorId);
        Alert alert = parseAlert(alertJson);
        if (!alert.targets(config.topic(), config.segment())) {
            status.ignored(processorId);
            return null;
        }
        String runId = alert.runId();
        Instant requested = alert.requested();
        if (requested.isBefore(Instant.now().minus(maxAlertAge))) {
            LOG.info("Processor {} skips run {}: the alert is older than {}", processorId, runId, maxAlertAge);
            status.ignored(processorId);
            return null;
        }
        if (ledger.finished(processorId, runId)) {
            // polled again after a crash that came between the end of the run and the commit of its alert
            LOG.info("Processor {} skips run {}: it already ran it to completion", processorId, runId);
            status.ignored(processorId);
            return null;
        }
        String generation = segments.segmentGeneration(config.topic(), config.segment());
        if (generation == null) {
            String reason = ProcessorStatus.missing(config.topic(), config.segment());
            LOG.warn("Processor {} does not run {}: {}", processorId, runId, reason);
            status.waiting(processorId, reason);
            return null;
        }
        status.running(processorId, runId);
        LOG.info("Processor {} starts run {} over {} items", processorId, runId, config.items().size());
        ProcessorRun run = new ProcessorRun(config, runId, alert.requestedBy(), topics.dataTopic(config.topic()),
                Instant.now().toString(), generation.isEmpty() ? null : generation);
        if (!run.isNetwork()) {
            ledger.readAhead(run);
        }
        return run;
    }

    private static Alert parseAlert(String json) {
        try {
            return Alert.parse(json);
        } catch (IllegalArgumentException e) {
            throw new MalformedAlertException(e.getMessage());
        }
    }

    /** The run-status event of a finished run (items ok and failed, records, duration). */
    public RunSummary finish(@Variable("run") ProcessorRun run) {
        RunSummary s = new RunSummary(run.getRunId(), run.getProcessorId(), run.getConfig().topic(),
                run.getConfig().segment(), RunSummary.status(run.capturedCount(), run.failedCount()),
                run.getItems().size(), run.capturedCount(), run.failedCount(), run.recordCount(), run.unchangedCount(),
                run.getStartedAt(), Instant.now().toString(), run.elapsedMillis());
        status.finished(run.getProcessorId(), s);
        LOG.info("Processor {} finished run {}: {} ok, {} failed, {} records in {} ms", run.getProcessorId(),
                run.getRunId(), run.capturedCount(), run.failedCount(), run.recordCount(), run.elapsedMillis());
        return s;
    }

    /**
     * The run a network task belongs to, to capture or publish its item: the processor's config, the task's run and
     * generation. Throws when the processor is no longer configured (the settlement is retried, then disputed).
     */
    public ProcessorRun forTask(String processorId, String runId, String requestedBy, String generation) {
        ProcessorConfig config = configs.get(processorId);
        if (config == null) {
            throw new IllegalStateException("processor " + processorId + " of task's run " + runId
                    + " is not configured here");
        }
        return new ProcessorRun(config, runId, requestedBy, topics.dataTopic(config.topic()), Instant.now().toString(),
                generation);
    }
}
