package io.fineas.pipeline.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import io.fineas.pipeline.support.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Items per second through the open capture network (6 nodes of distinct operators, each capturing one item at a time;
 * replicas 3, quorum 2, no canaries) against the same items captured in-house by a processor with 6 workers, from a
 * source that answers after 20 ms; and what a submission costs the gateway (its latency as the node sees it, and the
 * whole JVM's CPU per item in each mode). Both modes run in the same JVM, alternately, after a warm-up of each.
 * Run with: mvn -B verify -Pbench -Dbench=NetworkBenchmark
 */
class NetworkBenchmark extends PipelineTestSupport {

    private static final int ITEMS = Integer.getInteger("bench.items", 300);
    private static final int NODES = 6;
    private SourceServer source;
    private Path folder;

    @Override
    protected String roles() {
        return "gateway,processors";
    }

    private String topic() {
        return "netbench-" + ids().suffix();
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folder().toString());
        p.put("pipeline.network.deadline-check-ms", "200");
    }

    private Path folder() {
        if (folder == null) {
            try {
                source = new SourceServer();
                source.delay(20);
                folder = Files.createTempDirectory("bench-network");
                Files.writeString(folder.resolve("items.data.json"),
                        toJson(IntStream.range(0, ITEMS).mapToObj(i -> Map.of("id", i)).toList()));
                String head = "topic: " + topic() + "\ndata_list: items.data.json\nsource:\n  kind: http\n  url: \""
                        + source.baseUrl() + "/slow/{id}\"\n  allow_private_network: true\n";
                for (String s : List.of("house-warm", "house")) {
                    Files.writeString(folder.resolve(s + ".yaml"), "segment: " + s + "\n" + head + "workers: " + NODES
                            + "\nbatch_size: " + ITEMS + "\n");
                }
                for (String s : List.of("net-warm", "net")) {
                    Files.writeString(folder.resolve(s + ".yaml"), "segment: " + s + "\n" + head
                            + "network:\n  replicas: 3\n  quorum: 2\n  canary_rate: 0\n  lease_ms: 10000\n");
                }
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

    private long records(String segment) {
        return readAll(dataTopic(topic()), Duration.ofMillis(300)).stream()
                .filter(r -> r.value().contains("\"segment\":\"" + segment + "\"")).count();
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** Wall ms and CPU ms per item of one run of the segment, until its last record is on the data topic. */
    private double[] run(String segment) {
        long cpu = cpu();
        long start = System.nanoTime();
        Response r = post("/collect", List.of(Map.of("topic", topic(), "segment_targets", List.of(segment))),
                "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).isEqualTo(202);
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(() -> records(segment) >= ITEMS);
        double wall = (System.nanoTime() - start) / 1e6;
        return new double[] {wall, (cpu() - cpu) / 1e6 / ITEMS};
    }

    @Test
    void itemsPerSecondThroughTheNetworkAgainstInHouse() throws Exception {
        createTopic(topic());
        for (String s : List.of("house-warm", "house", "net-warm", "net")) {
            createSegment(topic(), s);
        }
        List<Long> submitNanos = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            TestNode node = TestNode.honest(uri("").toString().replaceAll("/$", ""), "Operator " + i);
            assertThat(node.join().statusCode()).isEqualTo(201);
            assertThat(post("/nodes/" + node.id() + "/approve", Map.of(), "X-API-Key", ADMIN_KEY).status())
                    .isEqualTo(200);
            Thread t = new Thread(() -> {
                while (running.get()) {
                    for (Map<String, Object> task : node.poll(1)) {
                        TestNode.Capture c = node.capture(task);
                        Map<String, Object> s = node.submission(task, c.content(), c.contentType());
                        long t0 = System.nanoTime();
                        int status = node.submit(s).statusCode();
                        submitNanos.add(System.nanoTime() - t0);
                        if (status != 202 && status != 410) {
                            throw new AssertionError("submission refused: " + status);
                        }
                    }
                }
            });
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        run("house-warm");
        run("net-warm");
        submitNanos.clear();
        double[] house = run("house");
        double[] net = run("net");
        running.set(false);
        List<Long> sorted = new ArrayList<>(submitNanos);
        Collections.sort(sorted);
        double p50 = sorted.get(sorted.size() / 2) / 1e6;
        double p99 = sorted.get((int) (sorted.size() * 0.99)) / 1e6;
        String report = String.join("\n",
                "| mode | items | captures at once | wall ms | items/s | CPU ms per item (whole JVM) |",
                "|---|---|---|---|---|---|",
                String.format("| in-house processor, 6 workers | %d | 6 | %.0f | %.1f | %.2f |", ITEMS, house[0],
                        ITEMS / house[0] * 1000, house[1]),
                String.format("| network, 6 nodes, replicas 3, quorum 2 | %d | 6 | %.0f | %.1f | %.2f |", ITEMS,
                        net[0], ITEMS / net[0] * 1000, net[1]),
                "", String.format("Throughput ratio network / in-house: **%.2f**; CPU per item %.1fx.",
                        house[0] / net[0], net[1] / house[1]),
                String.format("POST /node/submissions as the node sees it: %d submissions, p50 %.2f ms, p99 %.2f ms.",
                        sorted.size(), p50, p99));
        System.out.println(report);
        CollectBenchmark.write("network", report);
    }
}
