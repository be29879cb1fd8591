package io.fineas.pipeline.observe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped alert rules (deploy/prometheus/alerts.yml) read metrics a running pipeline exposes: a rule over a metric
 * that no process writes never fires, and promtool cannot tell. (promtool checks and tests the rules themselves in
 * .ci/run.)
 */
class AlertRulesTest extends PipelineTestSupport {

    private static final Pattern METRIC = Pattern.compile("\\b((?:pipeline|camel)_[a-z_]+)");

    @Override
    protected String roles() {
        return "gateway,scheduler,processors,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.gateway.lag-metrics-ms", "500");
        p.put("pipeline.scheduler.redis-prefix", "test-alerts:" + ids().suffix());
        // one good entry, one that names no pattern (skipped)
        try {
            Path schedule = dataDir().resolve("alerts-schedule.json");
            Files.createDirectories(schedule.getParent());
            Files.writeString(schedule, "[{\"data_collection_file_path\": \"a.json\", \"schedule\": 1},"
                    + " {\"data_collection_file_path\": \"b.json\"}]");
            p.put("pipeline.scheduler.schedule-file", schedule.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyMetricTheRulesReadIsExposedAndTheGaugesSayTheTruth() throws Exception {
        Set<String> named = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("deploy/prometheus/alerts.yml"))) {
            if (line.strip().startsWith("expr:")) {
                Matcher m = METRIC.matcher(line);
                while (m.find()) {
                    named.add(m.group(1));
                }
            }
        }
        // and the dashboard's panels (but the evaluation's figures, written once an evaluation has run)
        Matcher panels = METRIC.matcher(Files.readString(Path.of("deploy/grafana/fineas-pipeline.json")));
        while (panels.find()) {
            if (!panels.group(1).startsWith("pipeline_eval_")) {
                named.add(panels.group(1));
            }
        }
        assertThat(named).contains("pipeline_ready", "pipeline_consumer_lag", "pipeline_llm_circuit_open",
                "pipeline_data_free_bytes", "camel_exchange_event_notifier_seconds_count",
                "pipeline_token_budget_used_ratio", "pipeline_scheduler_entries_skipped");
        // a budgeted topic: its share spent is a series
        String budgeted = uniqueName("budgeted");
        createTopic(budgeted);
        Response budget = put("/topics/" + budgeted + "/budget", java.util.Map.of("tokens_per_day", 1000),
                "X-API-Key", ADMIN_KEY);
        assertThat(budget.status()).as(budget.body()).isEqualTo(200);
        // a record the processors' consumer group reads (and sets aside): the group then has offsets, so a lag
        publish(alertTopic(), "x", "not an alert");
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            String metrics = metrics();
            List<String> exposed = metrics.lines().filter(l -> !l.startsWith("#"))
                    .map(l -> l.replaceAll("[{ ].*", "")).distinct().toList();
            assertThat(exposed).containsAll(named);
            assertThat(metrics).containsPattern("(?m)^pipeline_ready(\\{[^}]*})? 1\\.0$")
                    .containsPattern("(?m)^pipeline_llm_circuit_open(\\{[^}]*})? 0\\.0$")
                    .containsPattern("(?m)^pipeline_consumer_lag\\{[^}]*group=\"[^\"]+\"[^}]*topic=\"[^\"]+\"[^}]*} ");
            assertThat(metrics).containsPattern("(?m)^pipeline_token_budget_used_ratio\\{[^}]*topic=\""
                    + budgeted + "\"[^}]*} 0\\.0$")
                    .containsPattern("(?m)^pipeline_scheduler_entries_skipped(\\{[^}]*})? [1-9][0-9]*\\.0$");
            // as many as GET /schedule lists (the entry without a pattern; the other once due, its file missing)
            int listed = ((java.util.List<?>) get("/schedule", "X-API-Key", ADMIN_KEY).json().get("skipped")).size();
            assertThat(metrics).containsPattern("(?m)^pipeline_scheduler_entries_skipped(\\{[^}]*})? " + listed
                    + "\\.0$");
            double free = Double.parseDouble(metrics.lines().filter(l -> l.startsWith("pipeline_data_free_bytes"))
                    .findFirst().orElseThrow().replaceAll(".* ", ""));
            assertThat(free).isCloseTo((double) Files.getFileStore(dataDir()).getUsableSpace(),
                    org.assertj.core.data.Percentage.withPercentage(5));
        });
    }
}
