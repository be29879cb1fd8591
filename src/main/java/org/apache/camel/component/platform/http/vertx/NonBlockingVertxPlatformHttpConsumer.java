package org.apache.camel.component.platform.http.vertx;

import java.util.List;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;

/**
 * A platform-http consumer that does not hold a Vert.x worker thread while a route waits. Camel 4.17's consumer runs
 * every exchange with the synchronous {@code process(exchange)} on a worker (20 by default), so a route that waits
 * (a chat question for its answer, a Kafka send for its acknowledgement) holds a worker for as long: 40 waiting
 * questions stall every other endpoint. This one starts the exchange on a worker with the asynchronous routing
 * engine; a step that completes later (an asynchronous processor, the Kafka producer) frees the worker at once, and
 * the answer is written on the request's event loop when the exchange completes.
 *
 * <p>It lives in Camel's package for one package-private helper ({@code VertxPlatformHttpSupport.writeResponse}),
 * the same code the stock consumer writes its answers with.
 */
public class NonBlockingVertxPlatformHttpConsumer extends VertxPlatformHttpConsumer {

    public NonBlockingVertxPlatformHttpConsumer(PlatformHttpEndpoint endpoint, Processor processor,
            List<Handler<RoutingContext>> handlers, String routerName) {
        super(endpoint, processor, handlers, routerName);
    }

    @Override
    protected void handleRequest(RoutingContext ctx) {
        if (isSuspended()) {
            ctx.response().setStatusCode(503);
            ctx.end();
            return;
        }
        Context eventLoop = ctx.vertx().getOrCreateContext();
        Exchange exchange = createExchange(false);
        exchange.setPattern(ExchangePattern.InOut);
        processHttpRequest(exchange, ctx).onComplete(read -> {
            if (read.failed()) {
                fail(exchange, ctx, read.cause());
                return;
            }
            // (form and multipart bodies are not read: every endpoint of this pipeline takes JSON)
            ctx.vertx().executeBlocking(() -> {
                createUoW(exchange);
                getAsyncProcessor().process(exchange,
                        doneSync -> eventLoop.runOnContext(v -> respond(exchange, ctx)));
                return null;
            }, false).onFailure(failure -> fail(exchange, ctx, failure));
        });
    }

    private void respond(Exchange exchange, RoutingContext ctx) {
        VertxPlatformHttpSupport.writeResponse(ctx, exchange, getEndpoint().getHeaderFilterStrategy(),
                getEndpoint().isMuteException()).onComplete(written -> {
                    if (written.failed()) {
                        fail(exchange, ctx, written.cause());
                    } else {
                        done(exchange);
                    }
                });
    }

    private void fail(Exchange exchange, RoutingContext ctx, Throwable failure) {
        getExceptionHandler().handleException("Failed handling platform-http endpoint " + getEndpoint().getPath(),
                failure);
        if (!ctx.response().ended()) {
            ctx.fail(failure);
        }
        done(exchange);
    }

    private void done(Exchange exchange) {
        doneUoW(exchange);
        releaseExchange(exchange, false);
    }
}
