package io.fineas.pipeline.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;

import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A processor run of 500 items from a local source that answers after 50 ms, with a pool of 16 workers, against the
 * ideal wall time items x latency / pool (the baseline is arithmetic, the source's latency is measured in the run).
 * Run with: mvn -B verify -Pbench -Dbench=ProcessorBenchmark
 */
class ProcessorBenchmark extends PipelineTestSupport {

    private static final int ITEMS = 500;
    private static final int WORKERS = 16;
    /** runs of the same size before the measured one, so that the JIT has compiled the capture path */
    private static final int WARMUP_RUNS = Integer.getInteger("bench.warmups", 5);
    private static final long LATENCY_MS = Long.getLong("bench.latency", 50);
    private SourceServer source;
    private Path folder;

    @Override
    protected String roles() {
        return "gateway,processors";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folder().toString());
    }

    private Path folder() {
        if (folder == null) {
            try {
                source = new SourceServer();
                source.delay(LATENCY_MS);
                folder = Files.createTempDirectory("bench-processors");
                for (String run : List.of("warmup", "measured")) {
                    Files.writeString(folder.resolve(run + ".yaml"), "topic: bench-" + ids().suffix() + "\nsegment: "
                            + run + "\ndata_list: items.data.json\nbatch_size: " + ITEMS + "\nworkers: " + WORKERS
                            + "\nsource:\n  kind: http\n  url: \"" + source.baseUrl() + "/slow/{id}\"\n  allow_private_network: true\n");
                }
                Files.writeString(folder.resolve("items.data.json"),
                        toJson(IntStream.range(0, ITEMS).mapToObj(i -> Map.of("id", i)).toList()));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return folder;
    }

    @AfterAll
    void stop() {
        source.close();
    }

    private Map<String, Object> run(String segment) {
        String runId = collectRun("bench-" + ids().suffix(), segment);
        await().atMost(Duration.ofMinutes(2)).until(() -> processors(runId) != null);
        return (Map<String, Object>) processors(runId).get(segment);
    }

    /**
     * The time between a request and the next one WORKERS places later (one worker's consecutive requests when all
     * are busy): the source's latency plus what each item costs the worker.
     */
    private static double gap(long[] arrivals, double quantile) {
        double[] gaps = java.util.stream.IntStream.range(WORKERS, arrivals.length)
                .mapToDouble(i -> (arrivals[i] - arrivals[i - WORKERS]) / 1e6).sorted().toArray();
        return gaps[Math.min(gaps.length - 1, (int) (quantile * gaps.length))];
    }

    /** CPU time of this JVM so far: the processor, the source server and the broker all run in it. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private Map<String, Object> processors(String runId) {
        return (Map<String, Object>) get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json().get("processors");
    }

    @Test
    void fiveHundredSlowItemsWithSixteenWorkers() throws Exception {
        String topic = "bench-" + ids().suffix();
        createTopic(topic);
        createSegment(topic, "warmup");
        createSegment(topic, "measured");

        for (int i = 0; i < WARMUP_RUNS; i++) {
            run("warmup");
        }
        long cpuBefore = processCpuNanos();
        int before = source.arrivals("/slow/").length;
        long collectedAt = System.nanoTime();
        Map<String, Object> measured = run("measured");
        long[] all = source.arrivals("/slow/");
        long[] arrivals = java.util.Arrays.copyOfRange(all, before, all.length);
        double cpuPerItemMs = (processCpuNanos() - cpuBefore) / 1e6 / ITEMS;

        long wall = ((Number) measured.get("duration_ms")).longValue();
        double ideal = (double) ITEMS * LATENCY_MS / WORKERS;
        String report = String.join("\n",
                "| run | items | workers | source latency ms | ideal ms | measured ms | measured / ideal |",
                "|---|---|---|---|---|---|---|",
                String.format("| processor, http source | %d | %d | %d | %.0f | %d | %.3f |", ITEMS, WORKERS, LATENCY_MS,
                        ideal, wall, wall / ideal),
                "", String.format("max concurrent requests at the source: %d", source.maxInFlight()),
                String.format("CPU per item (whole JVM: processor, source, broker): %.2f ms", cpuPerItemMs),
                // where the time goes: before the first request, between a worker's requests, after the last one
                String.format("first request %.0f ms after POST /collect; requests over %.0f ms; a worker's next "
                        + "request p50 %.1f ms, p99 %.1f ms after its previous one", (arrivals[0] - collectedAt) / 1e6,
                        (arrivals[arrivals.length - 1] - arrivals[0]) / 1e6, gap(arrivals, 0.5), gap(arrivals, 0.99)));
        System.out.println(report);
        CollectBenchmark.write("processor", report);
        assertThat(measured).containsEntry("items_ok", ITEMS);
        BenchmarkGate.atMost("processor.pool_over_ideal", wall / ideal);
    }
}
