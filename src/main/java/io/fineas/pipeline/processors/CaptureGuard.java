package io.fineas.pipeline.processors;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.impl.DefaultRedirectStrategy;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * What a processor's captures may reach, enforced in its HTTP client (one per processor, so one processor's rules
 * never apply to another's requests):
 * <ul>
 * <li>addresses: loopback, link-local (the cloud metadata address 169.254.169.254 among them), private, carrier-grade
 * NAT, unique-local, multicast and unspecified addresses are refused at connection time, after DNS (so a public name
 * that resolves to a private address is refused too), unless the config says {@code allow_private_network: true};</li>
 * <li>redirects: followed only to the same origin (scheme may go from http to https), or to a host listed in
 * {@code redirect_hosts};</li>
 * <li>the source's {@code headers} (API keys) are sent to the source's own host only, never along a redirect to
 * another;</li>
 * <li>an answer of more than {@code max_response_bytes}, or a capture (redirects and body included) longer than
 * {@code deadline_ms}, is cut off.</li>
 * </ul>
 * Each refusal is a {@link CaptureRefusedException}: not retried, the item goes to capture.dlq with the reason.
 */
public final class CaptureGuard {

    /** The rules of one processor's captures. */
    public record Rules(boolean allowPrivateNetwork, Set<String> redirectHosts, long maxResponseBytes,
            Duration deadline) {

        public static final long DEFAULT_MAX_RESPONSE_BYTES = 10L * 1024 * 1024;
        public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(60);

        public static Rules defaults() {
            return new Rules(false, Set.of(), DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_DEADLINE);
        }
    }

    /** A capture refused by its processor's rules. */
    public static final class CaptureRefusedException extends IOException {
        public CaptureRefusedException(String reason) {
            super(reason);
        }
    }

    private static final String ORIGIN = "fineas.capture.origin";
    private static final ScheduledExecutorService DEADLINES = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "capture-deadlines");
        t.setDaemon(true);
        return t;
    });

    private CaptureGuard() {
    }

    /** The configurer of a processor's HTTP client; its connection pool is closed with the endpoint's client. */
    public static HttpClientConfigurer configurer(ProcessorConfig config, int maxConnections) {
        Rules rules = config.guard();
        Set<String> secretHeaders = config.headers().keySet();
        return builder -> {
            PoolingHttpClientConnectionManager connections = PoolingHttpClientConnectionManagerBuilder.create()
                    .setDnsResolver(resolver(rules))
                    .setMaxConnTotal(maxConnections).setMaxConnPerRoute(maxConnections).build();
            builder.setConnectionManager(connections);
            builder.setConnectionManagerShared(false);
            builder.setRedirectStrategy(new GuardedRedirects(rules));
            // the source's own headers only to the origin of the capture
            builder.addRequestInterceptorLast((HttpRequest request, org.apache.hc.core5.http.EntityDetails entity,
                    HttpContext context) -> {
                String authority = origin(request);
                Object first = context.getAttribute(ORIGIN);
                if (first == null) {
                    context.setAttribute(ORIGIN, authority);
                } else if (!first.equals(authority)) {
                    for (String name : secretHeaders) {
                        request.removeHeaders(name);
                    }
                }
            });
            builder.addExecInterceptorFirst("capture-limits", (request, scope, chain) -> {
                AtomicBoolean late = new AtomicBoolean();
                ScheduledFuture<?> timer = DEADLINES.schedule(() -> {
                    late.set(true);
                    // closes the connection: a read blocked on a slow source fails at once
                    scope.execRuntime.discardEndpoint();
                }, rules.deadline().toMillis(), TimeUnit.MILLISECONDS);
                try {
                    ClassicHttpResponse response = chain.proceed(request, scope);
                    HttpEntity body = response.getEntity();
                    if (body == null) {
                        timer.cancel(false);
                        return response;
                    }
                    if (body.getContentLength() > rules.maxResponseBytes()) {
                        timer.cancel(false);
                        response.close();
                        throw tooLarge(rules);
                    }
                    response.setEntity(new Bounded(body, rules, timer, late));
                    return response;
                } catch (IOException | HttpException | RuntimeException e) {
                    timer.cancel(false);
                    if (late.get()) {
                        throw lateCapture(rules);
                    }
                    throw e;
                }
            });
        };
    }

    /** Whether a capture may connect to this address without {@code allow_private_network}. */
    static boolean isPublic(InetAddress address) {
        if (address.isAnyLocalAddress() || address.isLoopbackAddress() || address.isLinkLocalAddress()
                || address.isSiteLocalAddress() || address.isMulticastAddress()) {
            return false;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first != 0 && !(first == 100 && second >= 64 && second <= 127) // carrier-grade NAT 100.64/10
                    && !(first == 192 && second == 0 && (b[2] & 0xff) == 0) // IETF protocol assignments
                    && !(first == 198 && (second == 18 || second == 19)) // benchmarking
                    && first < 240; // reserved and broadcast
        }
        if (address instanceof Inet6Address) {
            int first = b[0] & 0xff;
            if ((first & 0xfe) == 0xfc) { // unique-local fc00::/7
                return false;
            }
            int second = b[1] & 0xff;
            // Teredo (2001::/32) tunnels to an IPv4 host hidden in the address; the local-use NAT64 prefix
            // (64:ff9b:1::/48) translates to whatever IPv4 network the operator routes it to: neither is a public host
            boolean teredo = first == 0x20 && second == 0x01 && b[2] == 0 && b[3] == 0;
            boolean localNat64 = first == 0 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                    && b[4] == 0 && b[5] == 1;
            if (teredo || localNat64) {
                return false;
            }
            // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d, as ::a9fe:a9fe) and NAT64 (64:ff9b::/96)
            // addresses carry the IPv4 address in their last four bytes, 6to4 (2002::/16) in bytes 2 to 5: judge it
            boolean mapped = isZero(b, 0, 10) && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
            boolean compatible = isZero(b, 0, 12);
            boolean nat64 = first == 0 && second == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
                    && isZero(b, 4, 12);
            if (mapped || compatible || nat64) {
                return isPublicIpv4(b[12], b[13], b[14], b[15]);
            }
            if (first == 0x20 && second == 0x02) {
                return isPublicIpv4(b[2], b[3], b[4], b[5]);
            }
        }
        return true;
    }

    private static boolean isPublicIpv4(byte a, byte b, byte c, byte d) {
        try {
            return isPublic(InetAddress.getByAddress(new byte[] {a, b, c, d}));
        } catch (UnknownHostException impossible) {
            return false;
        }
    }

    private static boolean isZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static DnsResolver resolver(Rules rules) {
        DnsResolver system = SystemDefaultDnsResolver.INSTANCE;
        return new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                InetAddress[] all = system.resolve(host);
                if (!rules.allowPrivateNetwork()) {
                    for (InetAddress a : all) {
                        if (!isPublic(a)) {
                            // an UnknownHostException subclass would be retried as a network fault: say it is refused
                            throw new RefusedHost("capture refused: " + host + " is a loopback, private, link-local "
                                    + "or metadata address (" + a.getHostAddress() + "); set allow_private_network: "
                                    + "true in the processor's source to allow it");
                        }
                    }
                }
                return all;
            }

            @Override
            public String resolveCanonicalHostname(String host) throws UnknownHostException {
                return system.resolveCanonicalHostname(host);
            }
        };
    }

    /** A host refused by the address rules (the DNS resolver may only throw UnknownHostException). */
    public static final class RefusedHost extends UnknownHostException {
        public RefusedHost(String reason) {
            super(reason);
        }
    }

    private static String origin(HttpRequest request) {
        return (request.getScheme() + "://" + request.getAuthority()).toLowerCase(Locale.ROOT);
    }

    /** Redirects to the same origin (or an upgrade to https), or to an allowed host; any other is refused. */
    private static final class GuardedRedirects extends DefaultRedirectStrategy {
        private final Rules rules;

        GuardedRedirects(Rules rules) {
            this.rules = rules;
        }

        @Override
        public URI getLocationURI(HttpRequest request, HttpResponse response, HttpContext context)
                throws HttpException {
            URI next = super.getLocationURI(request, response, context);
            String fromHost = request.getAuthority() == null ? "" : request.getAuthority().getHostName();
            int fromPort = request.getAuthority() == null ? -1 : request.getAuthority().getPort();
            String host = next.getHost() == null ? "" : next.getHost().toLowerCase(Locale.ROOT);
            boolean sameHost = host.equalsIgnoreCase(fromHost) && port(next) == port(request.getScheme(), fromPort)
                    && (next.getScheme().equalsIgnoreCase(request.getScheme()) || "https".equalsIgnoreCase(
                            next.getScheme()));
            if (!sameHost && !rules.redirectHosts().contains(host)) {
                throw new ProtocolException("capture refused: a redirect to " + next.getScheme() + "://" + host
                        + (next.getPort() < 0 ? "" : ":" + next.getPort()) + " leaves the source's host; list the "
                        + "host in the processor's redirect_hosts to allow it");
            }
            return next;
        }

        private static int port(URI uri) {
            return port(uri.getScheme(), uri.getPort());
        }

        private static int port(String scheme, int port) {
            return port >= 0 ? port : "https".equalsIgnoreCase(scheme) ? 443 : 80;
        }
    }

    private static CaptureRefusedException tooLarge(Rules rules) {
        return new CaptureRefusedException("capture refused: the answer is larger than " + rules.maxResponseBytes()
                + " bytes (max_response_bytes)");
    }

    private static CaptureRefusedException lateCapture(Rules rules) {
        return new CaptureRefusedException("capture refused: not complete within " + rules.deadline().toMillis()
                + " ms (deadline_ms)");
    }

    /** The answer's body, cut off past the size cap or the deadline; the deadline ends when it is read or closed. */
    private static final class Bounded extends HttpEntityWrapper {
        private final Rules rules;
        private final ScheduledFuture<?> timer;
        private final AtomicBoolean late;

        Bounded(HttpEntity body, Rules rules, ScheduledFuture<?> timer, AtomicBoolean late) {
            super(body);
            this.rules = rules;
            this.timer = timer;
            this.late = late;
        }

        @Override
        public InputStream getContent() throws IOException {
            return new FilterInputStream(super.getContent()) {
                private long read;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n;
                    try {
                        n = super.read(buffer, offset, length);
                    } catch (IOException e) {
                        throw late.get() ? lateCapture(rules) : e;
                    }
                    if (n < 0) {
                        timer.cancel(false);
                        return n;
                    }
                    read += n;
                    if (read > rules.maxResponseBytes()) {
                        timer.cancel(false);
                        throw tooLarge(rules);
                    }
                    return n;
                }

                @Override
                public void close() throws IOException {
                    timer.cancel(false);
                    super.close();
                }
            };
        }

        @Override
        public boolean isStreaming() {
            return true;
        }

        @Override
        public boolean isRepeatable() {
            return false;
        }
    }
}
