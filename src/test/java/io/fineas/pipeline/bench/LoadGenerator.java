package io.fineas.pipeline.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** A closed-loop HTTP load: N clients, each sending its next request when the previous answer arrives. */
final class LoadGenerator {

    record Result(String name, int requests, double seconds, double p50Millis, double p99Millis, int errors) {

        double perSecond() {
            return requests / seconds;
        }

        String row() {
            return String.format("| %s | %d | %.0f | %.2f | %.2f | %d |", name, requests, perSecond(), p50Millis,
                    p99Millis, errors);
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
            .version(HttpClient.Version.HTTP_1_1).build();

    Result run(String name, URI uri, Supplier<String> body, String apiKey, int clients, int requests,
            int expectedStatus) throws InterruptedException {
        long[] latencies = new long[requests];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        long start = System.nanoTime();
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
        Arrays.sort(latencies);
        return new Result(name, requests, seconds, latencies[(int) (requests * 0.50)] / 1e6,
                latencies[Math.min(requests - 1, (int) (requests * 0.99))] / 1e6, errors.get());
    }
}
