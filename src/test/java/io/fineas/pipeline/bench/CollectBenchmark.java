package io.fineas.pipeline.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.PipelineRoles;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.camel.main.MainConfigurationProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /collect (validate, authenticate, check topic and segments in Mongo, publish to Kafka with acks=all) against a
 * bare platform-http endpoint answering 202 in the same JVM and run: the ratio is what the pipeline's work costs.
 * Tracing is on as shipped (the bare endpoint makes no span); CollectUntracedBenchmark is the same with tracing off, so
 * the two ratios give what tracing costs.
 * Run with: mvn -B verify -Pbench -Dbench='Collect*Benchmark'
 */
class CollectBenchmark extends PipelineTestSupport {

    private static final int CLIENTS = 32;
    private static final int WARMUP = Integer.getInteger("bench.collect.warmup", 5_000);
    /** Measured in alternating rounds, so that drift (the JIT, the collector, the machine) falls on both alike. */
    private static final int ROUNDS = 4;
    private static final int REQUESTS = Integer.getInteger("bench.collect.requests", 20_000);

    @Override
    protected void overrideProperties(java.util.Properties p) {
        // the baseline stays bare: no span for a platform-http route (the API's routes are rest: endpoints)
        p.put("pipeline.tracing.exclude", "timer,quartz,micrometer,json-validator,platform-http");
        // how many spans stay in memory (-Dbench.tracing.max-spans; the shipped default otherwise)
        String kept = System.getProperty("bench.tracing.max-spans");
        if (kept != null) {
            p.put("pipeline.tracing.max-spans", kept);
            p.put("pipeline.tracing.max-spans-per-trace", kept);
        }
    }

    /** The report's name: collect, or collect-untraced. */
    protected String reportName() {
        return "collect";
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        configuration.withRoutesIncludePattern(PipelineRoles.parse(roles()).routesIncludePattern()
                + ",classpath:bench/baseline.camel.yaml");
    }

    @Test
    void collectAgainstBare202() throws Exception {
        String topic = uniqueName("bench");
        createTopic(topic);
        createSegment(topic, "news");
        String body = toJson(List.of(Map.of("topic", topic, "segment_targets", List.of("news"))));
        LoadGenerator load = new LoadGenerator();

        load.run("warm-up baseline", uri("/bench/baseline"), () -> body, ADMIN_KEY, CLIENTS, WARMUP, 202);
        load.run("warm-up collect", uri("/collect"), () -> body, ADMIN_KEY, CLIENTS, WARMUP, 202);
        List<LoadGenerator.Result> baselines = new java.util.ArrayList<>();
        List<LoadGenerator.Result> collects = new java.util.ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            baselines.add(load.run("bare platform-http 202", uri("/bench/baseline"), () -> body, ADMIN_KEY, CLIENTS,
                    REQUESTS / ROUNDS, 202));
            collects.add(load.run("POST /collect", uri("/collect"), () -> body, ADMIN_KEY, CLIENTS,
                    REQUESTS / ROUNDS, 202));
        }
        var baseline = LoadGenerator.Result.merged(baselines);
        var collect = LoadGenerator.Result.merged(collects);

        String report = String.join("\n",
                "| endpoint | requests | req/s | p50 ms | p99 ms | JVM CPU ms/request | errors |",
                "|---|---|---|---|---|---|---|",
                baseline.row(), collect.row(), "",
                String.format("throughput ratio collect/baseline: %.3f; p50 ratio: %.1fx; p99 ratio: %.1fx; "
                        + "CPU per request: %.1fx", collect.perSecond() / baseline.perSecond(),
                        collect.p50Millis() / baseline.p50Millis(), collect.p99Millis() / baseline.p99Millis(),
                        collect.cpuMillisPerRequest() / baseline.cpuMillisPerRequest()));
        System.out.println(report);
        write(reportName(), report);
        assertThat(collect.errors()).isZero();
        assertThat(baseline.errors()).isZero();
        BenchmarkGate.atLeast(reportName() + ".throughput_ratio", collect.perSecond() / baseline.perSecond());
    }

    static void write(String name, String report) throws IOException {
        Path dir = Path.of("target", "bench");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".md"), report + "\n");
    }
}
