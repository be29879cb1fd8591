package io.fineas.pipeline.infra;

import java.util.Map;
import java.util.function.BooleanSupplier;

import com.mongodb.client.MongoClient;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A readiness check of a server the pipeline talks to outside any Camel consumer (MongoDB through its driver, the
 * scheduler's Redis): up while the ping answers. Bound in the registry, Camel's health registry picks it up and
 * shows it on /observe/health/ready next to the Kafka consumers and routes.
 */
public final class PingHealthCheck extends AbstractHealthCheck {

    private final BooleanSupplier ping;
    private final String whenDown;

    public PingHealthCheck(String id, BooleanSupplier ping, String whenDown) {
        super("pipeline", id);
        this.ping = ping;
        this.whenDown = whenDown;
    }

    /**
     * MongoDB, from the driver's own view of the cluster (its monitor pings every server): no request and no wait in
     * the probe.
     */
    public static PingHealthCheck mongodb(MongoClient client) {
        return new PingHealthCheck("mongodb", () -> client.getClusterDescription().hasWritableServer(),
                "no writable MongoDB server at " + client.getClusterDescription().getClusterSettings().getHosts());
    }

    @Override
    public boolean isLiveness() {
        // a server that is down makes this instance unready, not dead: restarting it would not bring the server back
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        boolean up;
        try {
            up = ping.getAsBoolean();
        } catch (RuntimeException e) {
            up = false;
        }
        if (up) {
            builder.up();
        } else {
            builder.message(whenDown).down();
        }
    }
}
