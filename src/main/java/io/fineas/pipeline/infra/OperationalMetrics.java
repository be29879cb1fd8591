package io.fineas.pipeline.infra;

import java.util.List;
import java.util.function.BooleanSupplier;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

/**
 * The gauges the shipped alert rules read (deploy/prometheus/alerts.yml), beside Camel's own metrics:
 * {@code pipeline_ready} (1 while every readiness check of the process is up), {@code pipeline_data_free_bytes} (the
 * free space of the data folder's disk), {@code pipeline_llm_circuit_open} (1 while the model's circuit is open; RAG
 * role) and {@code pipeline_consumer_lag{group,topic}} (records a consumer group has not committed yet; written by
 * the gateway's timer route from Kafka's offsets), {@code pipeline_token_budget_used_ratio{topic}} (RAG role) and
 * {@code pipeline_scheduler_entries_skipped} (scheduler role).
 */
public final class OperationalMetrics {

    private MultiGauge lag;

    /** pipeline_ready and pipeline_data_free_bytes, read at each scrape. */
    public static void register(MeterRegistry registry, CamelContext context, DiskSpace disk) {
        Gauge.builder("pipeline.ready", context, OperationalMetrics::ready)
                .description("1 while every readiness check of this process is up, 0 otherwise").register(registry);
        if (disk != null) {
            Gauge.builder("pipeline.data.free", disk, d -> (double) d.freeBytes()).baseUnit("bytes")
                    .description("Free space of the disk holding the data folder").register(registry);
        }
    }

    /** pipeline_llm_circuit_open: 1 while the model's circuit breaker refuses calls. */
    public static void registerCircuit(MeterRegistry registry, BooleanSupplier open) {
        Gauge.builder("pipeline.llm.circuit.open", open, o -> o.getAsBoolean() ? 1 : 0).strongReference(true)
                .description("1 while the model's circuit is open (calls refused until it half-opens)")
                .register(registry);
    }

    /** pipeline_scheduler_entries_skipped: the schedule's entries skipped now (malformed, a file missing). */
    public static void registerSchedulerSkipped(MeterRegistry registry, java.util.function.IntSupplier skipped) {
        Gauge.builder("pipeline.scheduler.entries.skipped", skipped, s -> s.getAsInt()).strongReference(true)
                .description("Entries of the schedule skipped now (malformed, their file missing): GET /schedule says why")
                .register(registry);
    }

    /**
     * Sets pipeline_token_budget_used_ratio{topic} to each budgeted topic's share of its daily budget spent today (1 or
     * more: spent, its analyses wait and its questions are refused); a topic no longer budgeted is dropped.
     */
    public static synchronized void tokenBudgets(MeterRegistry registry, java.util.Map<String, Double> used) {
        java.util.Map<String, Budget> budgets = BUDGETS.computeIfAbsent(registry, r -> new java.util.HashMap<>());
        budgets.entrySet().removeIf(e -> {
            boolean gone = !used.containsKey(e.getKey());
            if (gone) {
                registry.remove(e.getValue().gauge());
            }
            return gone;
        });
        used.forEach((topic, share) -> budgets.computeIfAbsent(topic, t -> {
            double[] value = new double[1];
            return new Budget(Gauge.builder("pipeline.token.budget.used", value, v -> v[0]).tag("topic", t)
                    .baseUnit("ratio").strongReference(true)
                    .description("Share of a topic's daily token budget spent today (UTC)").register(registry), value);
        }).value()[0] = share);
    }

    /** A budgeted topic's gauge and the value it reads. */
    private record Budget(Gauge gauge, double[] value) {
    }

    private static final java.util.Map<MeterRegistry, java.util.Map<String, Budget>> BUDGETS =
            new java.util.WeakHashMap<>();

    static double ready(CamelContext context) {
        for (HealthCheck.Result r : HealthCheckHelper.invokeReadiness(context)) {
            if (r.getState() == HealthCheck.State.DOWN) {
                return 0;
            }
        }
        return 1;
    }

    /** One consumer group's lag on one topic. */
    public record Lag(String group, String topic, long lag) {
    }

    /** Sets pipeline_consumer_lag to these readings; a group and topic no longer read is dropped. */
    public synchronized void lag(MeterRegistry registry, List<Lag> readings) {
        if (lag == null) {
            lag = MultiGauge.builder("pipeline.consumer.lag")
                    .description("Records a consumer group has not committed yet, per topic").register(registry);
        }
        lag.register(readings.stream().map(l -> MultiGauge.Row.of(Tags.of("group", l.group(), "topic", l.topic()),
                l.lag())).toList(), true);
    }
}
