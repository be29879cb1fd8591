package io.fineas.pipeline.config;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.NonBlockingVertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.main.MainHttpServer;
import org.apache.camel.component.platform.http.spi.PlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * What camel.server.* cannot say about the embedded HTTP server: CORS for an allow-list of origins (Vert.x's
 * CorsHandler; never '*': an empty list means no cross-origin access), JSON bodies for the errors Vert.x answers
 * before a route runs (404 no such endpoint, 413 body too large), and which port the REST routes live on.
 */
final class GatewayHttpServer {

    private GatewayHttpServer() {
    }

    /**
     * The platform-http engine of the REST routes, on the API port. Camel 4.17's engine finds "the" Vert.x server by
     * type; with the management server (health, metrics) on its own port there are two, and it falls back to port
     * 8080, so the routes would look for a router that does not exist whenever the API port is not 8080.
     */
    static PlatformHttpEngine engineOnPort(CamelContext context, int apiPort) {
        VertxPlatformHttpEngine engine = new VertxPlatformHttpEngine() {
            @Override
            public int getServerPort() {
                return apiPort;
            }

            @Override
            public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
                return new NonBlockingVertxPlatformHttpConsumer(endpoint, processor, getHandlers(),
                        VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
            }
        };
        engine.setCamelContext(context);
        return engine;
    }

    static void customize(CamelContext context, List<String> allowedOrigins, long maxBodyBytes, long requestTimeoutMs,
            Connections connections) {
        MainHttpServer server = context.hasService(MainHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return;
        }
        Router router = server.getRouter();
        // every answer, JSON and HTML alike: no sniffing, no framing, no referrer, no caching of keyed answers, and a
        // CSP that lets the pages load only what this server serves
        router.route().order(-1001).handler(rc -> {
            rc.response().headers().addAll(SECURITY_HEADERS);
            rc.next();
        });
        // a request (its body included: a slow-drip upload) has this long to be answered; then 503 and the
        // connection's worker is free again
        router.route().order(-998).handler(TimeoutHandler.create(requestTimeoutMs, 503));
        router.route().order(-997).handler(connections::track);
        if (!allowedOrigins.isEmpty()) {
            CorsHandler cors = CorsHandler.create().addOrigins(allowedOrigins)
                    .allowedMethods(Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS))
                    .allowedHeaders(Set.of("Content-Type", "X-API-Key")).maxAgeSeconds(600);
            // a page served by this server (the chat page) calling it back is not cross-origin
            router.route().order(-1000).handler(rc -> {
                if (sameOrigin(rc)) {
                    rc.next();
                } else {
                    cors.handle(rc);
                }
            });
        }
        // failures Vert.x answers before or instead of a route, as the same JSON error as every other refusal: a body
        // over camel.server.max-body-size (413), a request over its time (503), an origin not allowed (403, CORS)
        router.route().order(-999).failureHandler(rc -> {
            if (rc.statusCode() == 413) {
                json(rc, 413, "payload_too_large", "the request body is larger than " + maxBodyBytes
                        + " bytes (GATEWAY_MAX_BODY_BYTES)");
            } else if (rc.statusCode() == 503) {
                json(rc, 503, "timeout", "the request was not answered within " + requestTimeoutMs
                        + " ms (GATEWAY_REQUEST_TIMEOUT_MS)");
            } else if (rc.statusCode() == 403 && rc.failure() != null && rc.failure().getMessage() != null
                    && rc.failure().getMessage().startsWith("CORS")) {
                json(rc, 403, "origin_not_allowed", "cross-origin requests from this origin are not allowed "
                        + "(GATEWAY_CORS_ORIGINS)");
            } else {
                rc.next();
            }
        });
        // reached when no endpoint matched: Vert.x tells what did not match (path, method, body type, answer type). Error
        // handlers count on the root router only, which Camel 4.17 keeps to itself (VertxPlatformHttpServer.router)
        Router root = rootRouter(router);
        root.errorHandler(404, rc -> json(rc, 404, "not_found", "no endpoint " + rc.request().method() + " "
                + rc.request().path()));
        root.errorHandler(405, rc -> json(rc, 405, "method_not_allowed", "no endpoint " + rc.request().method()
                + " " + rc.request().path()));
        root.errorHandler(415, rc -> json(rc, 415, "unsupported_media_type", "the request body must be sent as "
                + "Content-Type: application/json"));
        root.errorHandler(406, rc -> json(rc, 406, "not_acceptable", "this endpoint answers application/json"));
    }

    private static final io.vertx.core.MultiMap SECURITY_HEADERS = io.vertx.core.MultiMap.caseInsensitiveMultiMap()
            .add("X-Content-Type-Options", "nosniff")
            .add("X-Frame-Options", "DENY")
            .add("Referrer-Policy", "no-referrer")
            .add("Cache-Control", "no-store")
            .add("Content-Security-Policy", "default-src 'self'; script-src 'self'; "
                    + "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                    + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");

    /**
     * The connections of the HTTP servers and their time limits, which Camel 4.17 gives Vert.x no options for. A new
     * connection has the header timeout to get its first request's headers in (a client dripping them byte by byte,
     * or sending nothing, holds a connection no longer); a kept-alive one with no request in flight is closed after
     * the idle timeout (the same bound on the next request's headers). A request in flight is bounded by the request
     * timeout instead (the TimeoutHandler), so a chat waiting for its answer is not cut.
     */
    static final class Connections {
        private static final class State {
            int inFlight;
            boolean served;
            long lastActive = System.nanoTime();
        }

        private volatile long headerNanos = TimeUnit.SECONDS.toNanos(10);
        private volatile long idleNanos = TimeUnit.SECONDS.toNanos(30);
        private final Map<HttpConnection, State> open = new ConcurrentHashMap<>();

        void limits(long headerMillis, long idleMillis) {
            this.headerNanos = TimeUnit.MILLISECONDS.toNanos(headerMillis);
            this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        }

        /** How often to look for expired connections: a quarter of the shorter limit. */
        long sweepMillis() {
            return Math.max(100, TimeUnit.NANOSECONDS.toMillis(Math.min(headerNanos, idleNanos)) / 4);
        }

        /** A new connection: its clock runs from now. */
        void opened(HttpConnection connection) {
            state(connection);
        }

        /** A request whose headers have arrived: the connection is in use until its answer ends. */
        void track(RoutingContext rc) {
            State state = state(rc.request().connection());
            synchronized (state) {
                state.inFlight++;
                state.served = true;
                state.lastActive = System.nanoTime();
            }
            rc.addEndHandler(v -> {
                synchronized (state) {
                    state.inFlight--;
                    state.lastActive = System.nanoTime();
                }
            });
            rc.next();
        }

        void closeExpired() {
            long now = System.nanoTime();
            open.forEach((connection, state) -> {
                synchronized (state) {
                    if (state.inFlight == 0 && now - state.lastActive > (state.served ? idleNanos : headerNanos)) {
                        open.remove(connection);
                        connection.close();
                    }
                }
            });
        }

        private State state(HttpConnection connection) {
            return open.computeIfAbsent(connection, c -> {
                c.closeHandler(v -> open.remove(c));
                return new State();
            });
        }
    }

    private static Router rootRouter(Router router) {
        if (router instanceof org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter camelRouter) {
            try {
                java.lang.reflect.Field root = camelRouter.getServer().getClass().getDeclaredField("router");
                root.setAccessible(true);
                return (Router) root.get(camelRouter.getServer());
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("the root router of the HTTP server is out of reach: the JSON "
                        + "answers of unmatched requests need it (Camel's VertxPlatformHttpServer changed?)", e);
            }
        }
        return router;
    }

    private static boolean sameOrigin(RoutingContext rc) {
        String origin = rc.request().getHeader("Origin");
        String host = rc.request().getHeader("Host");
        return origin != null && host != null
                && (origin.equals("http://" + host) || origin.equals("https://" + host));
    }

    private static void json(RoutingContext rc, int status, String error, String detail) {
        if (rc.response().ended()) {
            return;
        }
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(JsonObject.mapFrom(new io.fineas.pipeline.common.ApiException.Body(error, detail)).encode());
    }
}
