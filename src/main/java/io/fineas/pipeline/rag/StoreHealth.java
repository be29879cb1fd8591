package io.fineas.pipeline.rag;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of the RAG service's stores as its consumers meet them: a route whose last try failed on the vector store
 * or MongoDB (and is being retried, its consumer waiting) is DOWN with the reason until its next success. Called
 * before each redelivery (routes/errors/store-errors) and at the end of each route that writes to a store.
 */
public final class StoreHealth extends AbstractHealthCheck implements Processor {

    private record Failure(String reason, Instant since) {
    }

    private final Map<String, Failure> failing = new ConcurrentHashMap<>();

    public StoreHealth() {
        super("pipeline", "rag-stores");
    }

    /** Before a redelivery: the route's store failed. */
    @Override
    public void process(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String route = exchange.getFromRouteId();
        String reason = e == null ? "failing" : e.getClass().getSimpleName() + ": " + e.getMessage();
        failing.compute(route, (k, old) -> new Failure(reason, old == null ? Instant.now() : old.since()));
    }

    /** The route got through: its store answers again. */
    public void recovered(Exchange exchange) {
        failing.remove(exchange.getFromRouteId());
    }

    @Override
    public boolean isLiveness() {
        // a store that is down makes this instance unready, not dead: restarting it would not bring the store back
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (failing.isEmpty()) {
            builder.up();
            return;
        }
        StringBuilder message = new StringBuilder();
        failing.forEach((route, f) -> message.append(message.isEmpty() ? "" : "; ").append(route)
                .append(" waits since ").append(f.since()).append(" (").append(f.reason()).append(")"));
        builder.message(message.toString()).down();
    }
}
