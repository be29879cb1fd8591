package io.fineas.pipeline.common;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.opentelemetry2.OpenTelemetrySpanAdapter;
import org.apache.camel.telemetry.SpanLifecycleManager;
import org.apache.camel.telemetry.SpanStorageManagerExchange;

/**
 * One trace per record across the Kafka hops. Camel's tracer continues a trace from a consumed record's headers only
 * when the route consumes records one by one; a batch consumer's exchange is the batch, so its span starts a trace of
 * its own. Here each record of a batch gets a span of its own, a child of the span that produced the record (the W3C
 * {@code traceparent} in its Kafka headers) and linked to the batch's span: the record's trace goes on from capture
 * to ingestion and analysis, and the batch's work stays one span.
 *
 * <p>Span attributes the stages set (stable, documented in docs/TRACING.md): {@code pipeline.stage}, {@code
 * pipeline.topic}, {@code pipeline.segment}, {@code pipeline.run_id}, {@code pipeline.processor_id}, {@code
 * pipeline.source}; never an API key or captured content.
 */
public final class RecordTraces {

    public static final String STAGE = "pipeline.stage";
    public static final String TOPIC = "pipeline.topic";
    public static final String SEGMENT = "pipeline.segment";
    public static final String RUN_ID = "pipeline.run_id";
    public static final String PROCESSOR_ID = "pipeline.processor_id";
    public static final String SOURCE = "pipeline.source";

    /** The exchange property of a split record's own span (so that only that span is ended by {@link #end}). */
    private static final String RECORD_SPAN = "pipeline.recordSpan";
    private static final SpanStorageManagerExchange CAMEL_SPANS = new SpanStorageManagerExchange();

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final java.util.function.Supplier<SpanLifecycleManager> camel;

    /**
     * @param tracer     the SDK's tracer
     * @param propagator the W3C propagator Camel injects with
     * @param camel      Camel's span lifecycle (camel-opentelemetry2), to read the context of the span an exchange is in
     */
    public RecordTraces(Tracer tracer, TextMapPropagator propagator,
            java.util.function.Supplier<SpanLifecycleManager> camel) {
        this.tracer = tracer;
        this.propagator = propagator;
        this.camel = camel;
    }

    /** Tracing off: every method does nothing (and costs nothing). */
    public static RecordTraces off() {
        return new RecordTraces(null, null, null);
    }

    /**
     * A record split out of a batch ({@link KafkaBatch#unwrap}) starts its own span, named after the route, child of
     * its producer and linked to the batch: Camel's spans of its processing (the model call, the publish) are its
     * children. Ended by {@link #end}.
     */
    public void begin(Exchange record) {
        if (tracer == null) {
            return;
        }
        Span span = recordSpan(record, stageOf(record), 0L, currentContext(record));
        record.setProperty(RECORD_SPAN, span);
        CAMEL_SPANS.push(record, new OpenTelemetrySpanAdapter(span, io.opentelemetry.api.baggage.Baggage.empty()) {
        });
    }

    /** Ends the span {@link #begin} started for this record (its error, if the record failed). */
    public void end(Exchange record) {
        Span span = record.getProperty(RECORD_SPAN, Span.class);
        if (span == null) {
            return;
        }
        record.removeProperty(RECORD_SPAN);
        CAMEL_SPANS.pull(record);
        Exception error = record.getException();
        if (error != null) {
            span.recordException(error);
            span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
        }
        span.end();
    }

    /**
     * Each record of a batch a stage has just done its work on (stored, ingested): a span per record, from when the
     * batch began to now, child of the record's producer and linked to the batch's span.
     */
    public void done(@org.apache.camel.Variable("batch") List<Exchange> batch, Exchange batchExchange) {
        if (tracer == null || batch == null) {
            return;
        }
        Context batchContext = currentContext(batchExchange);
        long began = batchExchange.getClock().getCreated();
        long nowMillis = System.currentTimeMillis();
        String stage = stageOf(batchExchange);
        for (Exchange record : batch) {
            Span span = recordSpan(record, stage, TimeUnit.MILLISECONDS.toNanos(began), batchContext);
            span.end(TimeUnit.MILLISECONDS.toNanos(nowMillis), TimeUnit.NANOSECONDS);
        }
    }

    /** The trace id each record of a batch belongs to (null for a record that came without trace context). */
    public List<String> traceIds(@org.apache.camel.Variable("batch") List<Exchange> batch) {
        List<String> ids = new ArrayList<>(batch.size());
        for (Exchange record : batch) {
            SpanContext producer = tracer == null ? SpanContext.getInvalid() : producerOf(record);
            ids.add(producer.isValid() ? producer.getTraceId() : null);
        }
        return ids;
    }

    /** Sets an attribute on the span the exchange is in (Camel's route or endpoint span); null values are left out. */
    public static void tag(Exchange exchange, String key, Object value) {
        org.apache.camel.telemetry.Span span = exchange == null ? null : CAMEL_SPANS.peek(exchange);
        if (span != null && value != null) {
            span.setTag(key, value.toString());
        }
    }

    /** @param startEpochNanos the span's start, or 0 for now */
    private Span recordSpan(Exchange record, String stage, long startEpochNanos, Context batchContext) {
        SpanContext producer = producerOf(record);
        var builder = tracer.spanBuilder(stage + " record")
                .setParent(producer.isValid() ? Context.root().with(Span.wrap(producer)) : Context.root())
                .setAttribute(STAGE, stage)
                .setAttribute("messaging.system", "kafka");
        String topic = record.getMessage().getHeader(KafkaConstants.TOPIC, String.class);
        if (topic != null) {
            builder.setAttribute("messaging.destination.name", topic);
        }
        Object key = record.getMessage().getHeader(KafkaConstants.KEY);
        if (key != null) {
            builder.setAttribute(SOURCE, key.toString());
        }
        SpanContext batchSpan = Span.fromContext(batchContext).getSpanContext();
        if (batchSpan.isValid()) {
            builder.addLink(batchSpan);
        }
        if (startEpochNanos > 0) {
            builder.setStartTimestamp(startEpochNanos, TimeUnit.NANOSECONDS);
        }
        return builder.startSpan();
    }

    /** The context of the span that produced the record (its {@code traceparent} header), or an invalid one. */
    SpanContext producerOf(Exchange record) {
        Map<String, Object> headers = record.getMessage().getHeaders();
        Context c = propagator.extract(Context.root(), headers, HEADERS);
        return Span.fromContext(c).getSpanContext();
    }

    /** The context of the Camel span the exchange is in, read through Camel's own injection. */
    private Context currentContext(Exchange exchange) {
        org.apache.camel.telemetry.Span span = CAMEL_SPANS.peek(exchange);
        if (span == null) {
            return Context.root();
        }
        Map<String, Object> carrier = new HashMap<>();
        camel.get().inject(span, carrier::put, false);
        return propagator.extract(Context.root(), carrier, HEADERS);
    }

    private static String stageOf(Exchange exchange) {
        String route = exchange.getFromRouteId();
        return route == null ? "unknown" : route;
    }

    /** Headers as Camel holds them: Strings, or the raw bytes of a Kafka header. */
    private static final TextMapGetter<Map<String, Object>> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, Object> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, Object> carrier, String key) {
            Object v = carrier == null ? null : carrier.get(key);
            if (v instanceof byte[] bytes) {
                return new String(bytes, StandardCharsets.UTF_8);
            }
            return v == null ? null : v.toString();
        }
    };
}
