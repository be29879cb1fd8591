package io.fineas.pipeline.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** A closed-loop HTTP load: N clients, each sending its next request when the previous answer arrives. */
final class LoadGenerator {

    /**
     * @param cpuNanos the CPU time this JVM spent while the requests ran: the endpoint's work, the in-process broker's
     *     and database's, and this load generator's
     */
    record Result(String name, int requests, double seconds, long[] latencies, int errors, long cpuNanos) {

        double cpuMillisPerRequest() {
            return cpuNanos / 1e6 / requests;
        }

        double p50Millis() {
            return latencies[(int) (requests * 0.50)] / 1e6;
        }

        double p99Millis() {
            return latencies[Math.min(requests - 1, (int) (requests * 0.99))] / 1e6;
        }

        /** Rounds of one endpoint as one result: their requests, time, sorted latencies and errors together. */
        static Result merged(List<Result> rounds) {
            long[] all = rounds.stream().flatMapToLong(r -> Arrays.stream(r.latencies())).sorted().toArray();
            return new Result(rounds.get(0).name(), all.length, rounds.stream().mapToDouble(Result::seconds).sum(),
                    all, rounds.stream().mapToInt(Result::errors).sum(),
                    rounds.stream().mapToLong(Result::cpuNanos).sum());
        }

        double perSecond() {
            return requests / seconds;
        }

        String row() {
            return String.format("| %s | %d | %.0f | %.2f | %.2f | %.3f | %d |", name, requests, perSecond(),
                    p50Millis(), p99Millis(), cpuMillisPerRequest(), errors);
        }
    }

    private static final com.sun.management.OperatingSystemMXBean CPU =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    Result run(String name, URI uri, Supplier<String> body, String apiKey, int clients, int requests,
            int expectedStatus) throws InterruptedException {
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
        long cpuStart = CPU.getProcessCpuTime();
        for (int c = 0; c < clients; c++) {
            pool.submit(() -> {
                int i;
                while ((i = next.getAndIncrement()) < requests) {
                    HttpRequest req = HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body.get()))
                            .header("Content-Type", "application/json").header("X-API-Key", apiKey)
                            .timeout(Duration.ofSeconds(30)).build();
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != expectedStatus) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - t0;
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        long cpu = CPU.getProcessCpuTime() - cpuStart;
        Arrays.sort(latencies);
        return new Result(name, requests, seconds, latencies, errors.get(), cpu);
    }
}
