package io.fineas.pipeline.infra;

import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifier;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerExchangeEventNotifierNamingStrategyDefault;
import org.apache.camel.spi.CamelEvent;

/**
 * camel-micrometer's exchange event notifier (the {@code camel_exchange_event_notifier_seconds} timers per endpoint and
 * event, {@code camel_exchanges_last_timestamp}), as {@code camel.metrics.enableExchangeEventNotifier} would install
 * it, without its cost per exchange: Camel 4.17 looks the last-timestamp gauge up with {@code MeterRegistry.find} on
 * every completed exchange, which copies and scans every meter of the registry (hundreds: one set per route and
 * endpoint), about 3 % of the gateway's CPU under {@code POST /collect}. Here the gauge is registered once.
 */
public final class ExchangeEventMetrics extends MicrometerExchangeEventNotifier {

    /** The gauge Camel registers, with its name and description. */
    static final String LAST_EXCHANGE = "camel.exchanges.last.timestamp";

    private final AtomicLong lastExchange = new AtomicLong();

    public ExchangeEventMetrics() {
        // as camel-main configures it: endpoints by their base URI (no options, no secrets in a metric)
        setBaseEndpointURI(true);
        setNamingStrategy(new MicrometerExchangeEventNotifierNamingStrategyDefault(true));
        // it times exchanges from created to done and sends by their sent events (which Camel makes only where it made
        // the sending event): the others need not be made
        setIgnoreExchangeAsyncProcessingStartedEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreCamelContextEvents(true);
        setIgnoreCamelContextInitEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Gauge.builder(LAST_EXCHANGE, lastExchange, AtomicLong::get)
                .description("Last exchange processed time in milliseconds since the Unix epoch")
                .register(getMeterRegistry());
    }

    @Override
    protected void handleDoneEvent(CamelEvent.ExchangeEvent doneEvent) {
        Exchange exchange = doneEvent.getExchange();
        String name = getNamingStrategy().getName(exchange, exchange.getFromEndpoint());
        Tags tags = getNamingStrategy().getTags(doneEvent, exchange.getFromEndpoint());
        // the sample the created event started (MicrometerExchangeEventNotifier.handleCreatedEvent)
        if (exchange.removeProperty("eventTimer:" + name) instanceof Timer.Sample sample) {
            sample.stop(getMeterRegistry().timer(name, tags));
        }
        lastExchange.set(System.currentTimeMillis());
    }
}
