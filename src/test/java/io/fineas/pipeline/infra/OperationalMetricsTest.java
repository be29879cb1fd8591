package io.fineas.pipeline.infra;

import java.util.Map;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The gauges' names and values as Prometheus scrapes them. */
class OperationalMetricsTest {

    @Test
    void aTopicsShareOfItsBudgetIsOneSeriesPerBudgetedTopicAndATopicNoLongerBudgetedGoes() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // no topic budgeted yet, then two
        OperationalMetrics.tokenBudgets(registry, Map.of());
        OperationalMetrics.tokenBudgets(registry, Map.of("finance", 0.25, "research", 1.5));
        assertThat(registry.scrape()).containsPattern("(?m)^pipeline_token_budget_used_ratio\\{topic=\"finance\"} 0\\.25$")
                .containsPattern("(?m)^pipeline_token_budget_used_ratio\\{topic=\"research\"} 1\\.5$");
        OperationalMetrics.tokenBudgets(registry, Map.of("finance", 1.0));
        assertThat(registry.scrape()).containsPattern("(?m)^pipeline_token_budget_used_ratio\\{topic=\"finance\"} 1\\.0$")
                .doesNotContain("research");
    }

    @Test
    void theSkippedEntriesAreReadAtEachScrape() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        int[] skipped = {0};
        OperationalMetrics.registerSchedulerSkipped(registry, () -> skipped[0]);
        assertThat(registry.scrape()).containsPattern("(?m)^pipeline_scheduler_entries_skipped 0\\.0$");
        skipped[0] = 2;
        assertThat(registry.scrape()).containsPattern("(?m)^pipeline_scheduler_entries_skipped 2\\.0$");
    }
}
