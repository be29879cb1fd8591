package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local data source for processor tests and benchmarks: JSON documents, RSS feeds, and items that fail (500), are
 * missing (404) or answer slowly. It counts requests per path and the most requests it served at once.
 */
public final class SourceServer implements AutoCloseable {

    /** The API key /private/ requires in X-Api-Key. */
    public static final String PRIVATE_KEY = "source-secret-7f3a";

    private final HttpServer server;
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Map<String, String> documents = new ConcurrentHashMap<>();
    private final Map<String, String> receivedKeys = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicInteger served = new AtomicInteger();
    private volatile long delayMillis;

    public SourceServer() {
        // like production web servers, answer without Nagle's delay (else headers and body written separately meet
        // the client's delayed ACK: 40 ms added to every response)
        System.setProperty("sun.net.httpserver.nodelay", "true");
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newFixedThreadPool(64));
        // hostile sources: a redirect to wherever ?to= says (the X-Api-Key it was sent is remembered per path), an
        // answer of ?bytes= bytes, and one that drips a byte every 200 ms for ?seconds=
        server.createContext("/redirect/", ex -> {
            hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
            String to = java.net.URLDecoder.decode(ex.getRequestURI().getRawQuery().substring(3), StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Location", to);
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/echo-key/", ex -> {
            String key = ex.getRequestHeaders().getFirst("X-Api-Key");
            receivedKeys.put(ex.getRequestURI().getPath(), key == null ? "" : key);
            serve(ex, () -> new Answer(200, "text/plain", "Echo page " + last(ex) + " was reached."));
        });
        server.createContext("/big/", ex -> serve(ex, () -> new Answer(200, "text/plain",
                "x".repeat(Integer.parseInt(ex.getRequestURI().getQuery().substring(6))))));
        server.createContext("/drip/", ex -> {
            hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
            int seconds = Integer.parseInt(ex.getRequestURI().getQuery().substring(8));
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, 0);
            try (var out = ex.getResponseBody()) {
                for (int i = 0; i < seconds * 5; i++) {
                    out.write('.');
                    out.flush();
                    sleep(200);
                }
            } catch (IOException clientLeft) {
                // the capture gave up: what the test expects
            } finally {
                ex.close();
            }
        });
        server.createContext("/json/", ex -> serve(ex, () -> {
            String id = last(ex);
            // a quote changes from one request to the next, as prices do
            return new Answer(200, "application/json", "{\"id\":\"" + id + "\",\"price\":" + (100 + id.hashCode() % 50)
                    + ",\"note\":\"quote for item " + id + "\",\"seq\":" + served.incrementAndGet() + "}");
        }));
        server.createContext("/slow/", ex -> serve(ex, () -> {
            sleep(delayMillis);
            return new Answer(200, "application/json", "{\"id\":\"" + last(ex) + "\"}");
        }));
        server.createContext("/flaky/", ex -> serve(ex, () -> {
            String id = last(ex);
            return switch (id) {
                case "3", "7" -> new Answer(500, "text/plain", "server error");
                case "5" -> new Answer(404, "text/plain", "no such item");
                default -> new Answer(200, "text/plain", "item " + id + " is fine");
            };
        }));
        server.createContext("/atom/", ex -> serve(ex, () -> {
            String t = last(ex);
            StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"utf-8\"?>"
                    + "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>" + t + " filings</title>"
                    + "<id>urn:example:" + t + "</id><updated>2026-11-24T09:00:00Z</updated>");
            for (int i = 1; i <= 2; i++) {
                xml.append("<entry><title>").append(t).append(" filing ").append(i).append("</title>")
                        .append("<link href=\"http://example.org/filings/").append(t).append("/").append(i)
                        .append("\"/><id>urn:example:").append(t).append(":").append(i).append("</id>")
                        .append("<updated>2026-11-24T09:0").append(i).append(":00Z</updated>")
                        .append("<summary>").append(t).append(" filed report number ").append(i)
                        .append(".</summary></entry>");
            }
            return new Answer(200, "application/atom+xml", xml.append("</feed>").toString());
        }));
        // answers only requests that carry the expected API key header
        server.createContext("/private/", ex -> serve(ex, () -> PRIVATE_KEY.equals(
                ex.getRequestHeaders().getFirst("X-Api-Key"))
                ? new Answer(200, "application/json", "{\"id\":\"" + last(ex) + "\",\"secret_data\":true}")
                : new Answer(401, "application/json", "{\"error\":\"missing or wrong X-Api-Key\"}")));
        server.createContext("/doc/", ex -> serve(ex, () -> {
            String body = documents.get(last(ex));
            return body == null ? new Answer(404, "text/plain", "no such document")
                    : new Answer(200, "text/plain; charset=utf-8", body);
        }));
        server.createContext("/rss/", ex -> serve(ex, () -> {
            String t = last(ex);
            StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + t
                    + " news</title><link>http://example.org/" + t + "</link><description>news</description>");
            for (int i = 1; i <= 3; i++) {
                xml.append("<item><title>").append(t).append(" headline ").append(i).append("</title><link>")
                        .append("http://example.org/").append(t).append("/").append(i).append("</link>")
                        .append("<description>").append(t).append(" reported result number ").append(i)
                        .append(".</description><pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>");
            }
            return new Answer(200, "application/rss+xml", xml.append("</channel></rss>").toString());
        }));
        server.start();
    }

    private record Answer(int status, String type, String body) {
    }

    private record Arrival(String path, long nanos) {
    }

    private final java.util.Queue<Arrival> arrivals = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** When the requests under the path prefix arrived (System.nanoTime), in order. */
    public long[] arrivals(String prefix) {
        return arrivals.stream().filter(a -> a.path().startsWith(prefix)).mapToLong(Arrival::nanos).sorted().toArray();
    }

    /** The most requests under the path prefix that arrived within any window of the given length. */
    public int maxArrivalsWithin(String prefix, java.time.Duration window) {
        long[] times = arrivals(prefix);
        int max = 0;
        for (int i = 0, j = 0; i < times.length; i++) {
            while (times[i] - times[j] >= window.toNanos()) {
                j++;
            }
            max = Math.max(max, i - j + 1);
        }
        return max;
    }

    private interface Handler {
        Answer answer() throws IOException;
    }

    private void serve(HttpExchange ex, Handler handler) throws IOException {
        hits.computeIfAbsent(ex.getRequestURI().getPath(), k -> new AtomicInteger()).incrementAndGet();
        arrivals.add(new Arrival(ex.getRequestURI().getPath(), System.nanoTime()));
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            Answer a = handler.answer();
            byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", a.type());
            ex.sendResponseHeaders(a.status(), body.length);
            ex.getResponseBody().write(body);
        } finally {
            inFlight.decrementAndGet();
            ex.close();
        }
    }

    private static String last(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Text documents served at /doc/{name}. */
    public void document(String name, String text) {
        documents.put(name, text);
    }

    /** The X-Api-Key an /echo-key/ path was requested with ("" for none), or null when it was never requested. */
    public String receivedKey(String path) {
        return receivedKeys.get(path);
    }

    /** The same server under another host name (localhost instead of 127.0.0.1): another origin. */
    public String otherHostUrl() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void delay(long millis) {
        this.delayMillis = millis;
    }

    public int hits(String path) {
        AtomicInteger n = hits.get(path);
        return n == null ? 0 : n.get();
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    public void resetCounters() {
        hits.clear();
        maxInFlight.set(0);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
