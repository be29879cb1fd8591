package io.fineas.pipeline.config;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.impl.VertxWrapper;

/**
 * The Vert.x instance the HTTP servers (API and management) are created by, bound as {@code camel.beans.vertx} in
 * application.properties. Camel 4.17 creates each server with options of its own and no hook, and a connection
 * handler can only be set before a server listens; Camel looks a Vert.x instance up in the registry before it makes
 * one, and binds the {@code camel.beans} before it creates the servers. So every new connection of both servers is
 * handed to {@link GatewayHttpServer.Connections} (the header and idle timeouts). Its worker pool is what the two
 * servers' own instances had together (20 each).
 */
public class PipelineVertx extends VertxWrapper {

    private final GatewayHttpServer.Connections connections = new GatewayHttpServer.Connections();

    public PipelineVertx() {
        super((VertxInternal) Vertx.vertx(new VertxOptions().setWorkerPoolSize(40)));
        sweep();
    }

    @Override
    public HttpServer createHttpServer(HttpServerOptions options) {
        // no HTTP/2 over cleartext: with it, Vert.x waits for the first bytes to tell HTTP/1.1 from an HTTP/2 preface
        // and makes the connection known only then, so a silent or dripping client would never be seen (TLS and
        // HTTP/2 end at the ingress in front)
        options.setHttp2ClearTextEnabled(false);
        return super.createHttpServer(options).connectionHandler(connections::opened);
    }

    /** A new connection's time to send its first request's headers, and a kept-alive connection's idle time. */
    public void limits(long headerTimeoutMillis, long idleTimeoutMillis) {
        connections.limits(headerTimeoutMillis, idleTimeoutMillis);
    }

    GatewayHttpServer.Connections connections() {
        return connections;
    }

    private void sweep() {
        setTimer(connections.sweepMillis(), id -> {
            connections.closeExpired();
            sweep();
        });
    }
}
