package io.fineas.pipeline.infra;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.telemetry.Op;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces across the stages: Camel's own spans (camel-opentelemetry2: each route, each endpoint it sends to, W3C trace
 * context in HTTP and Kafka record headers) recorded by the OpenTelemetry SDK, which the standard {@code OTEL_*}
 * variables configure (its autoconfiguration: {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code OTEL_SERVICE_NAME},
 * {@code OTEL_TRACES_SAMPLER}, {@code OTEL_RESOURCE_ATTRIBUTES} ...). Spans are exported by OTLP (http/protobuf unless
 * {@code OTEL_EXPORTER_OTLP_PROTOCOL} says otherwise) only when an OTLP endpoint is set; the last traces always stay in
 * memory ({@link RecentTraces}) for the console. The SDK is this context's own, never the JVM's global one.
 */
public final class PipelineTracing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineTracing.class);

    private final OpenTelemetrySdk sdk;
    private final io.fineas.pipeline.common.RecordTraces recordTraces;

    private PipelineTracing(OpenTelemetrySdk sdk, io.fineas.pipeline.common.RecordTraces recordTraces) {
        this.sdk = sdk;
        this.recordTraces = recordTraces;
    }

    /**
     * Builds the SDK, binds its tracer and propagators for Camel, and starts Camel's tracer; call before routes are
     * added (each route gets the tracing route policy as it is created).
     *
     * @param serviceName the service name unless OTEL_SERVICE_NAME sets one
     * @param excluded    the components (comma-separated schemes) whose endpoints make no span
     *                    (pipeline.tracing.exclude: timers, Quartz ticks and metering: noise, not work)
     */
    public static PipelineTracing start(CamelContext context, String serviceName, String excluded,
            RecentTraces recent) {
        Map<String, String> defaults = new HashMap<>();
        defaults.put("otel.service.name", serviceName);
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        boolean[] exporting = {false};
        AutoConfiguredOpenTelemetrySdk configured = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .addPropertiesCustomizer(config -> {
                    exporting[0] = exportsTraces(config);
                    return exporting[0] ? Map.of() : Map.of("otel.traces.exporter", "none");
                })
                .addSpanExporterCustomizer((exporter, config) -> SpanRedaction.exporter(exporter))
                .addTracerProviderCustomizer((builder, config) -> builder.addSpanProcessor(recent))
                .disableShutdownHook()
                .build();
        OpenTelemetrySdk sdk = configured.getOpenTelemetrySdk();
        Tracer tracer = sdk.getTracer("fineas-pipeline");
        context.getRegistry().bind("openTelemetryTracer", Tracer.class, tracer);
        context.getRegistry().bind("openTelemetryPropagators", ContextPropagators.class, sdk.getPropagators());
        OpenTelemetryTracer camelTracer = new LeanTracer(excluded);
        camelTracer.init(context);
        context.getRegistry().bind("camelTracer", OpenTelemetryTracer.class, camelTracer);
        LOG.info("Tracing on: the last traces in memory{}", exporting[0] ? ", spans exported by OTLP" : " (no OTLP "
                + "endpoint set: nothing exported)");
        return new PipelineTracing(sdk, new io.fineas.pipeline.common.RecordTraces(tracer,
                sdk.getPropagators().getTextMapPropagator(), camelTracer::getSpanLifecycleManager));
    }

    /**
     * Camel's tracer, made cheaper where its spans say nothing more:
     * <ul>
     * <li>endpoints excluded by their component's scheme. Camel's own exclusion matches each pattern against the
     * normalised endpoint URI (parsed and sorted anew) on every event, four times per endpoint an exchange passes: with
     * three patterns that was the largest part of what tracing cost POST /collect (JFR, the collect benchmark). A
     * scheme is all the pipeline needs to tell;</li>
     * <li>no span for sending to a {@code direct:} endpoint: the called route's own span (same name, same exchange,
     * same thread) is made as the caller's child instead, so each {@code direct:} call is one span, not two;</li>
     * <li>no wrapper around every processor of every route when processors are not traced (Camel adds it regardless
     * and builds the processor's name as a new string on each call).</li>
     * </ul>
     */
    static final class LeanTracer extends OpenTelemetryTracer {

        /** Per exchange, whether each event span begun is real (pairs the ends with their begins, innermost first). */
        private static final String BEGUN = "pipeline.tracing.begun";

        private record Begun(boolean recorded, Begun outer) {
        }

        private final java.util.Set<String> schemes;

        LeanTracer(String schemes) {
            this.schemes = java.util.Set.of(java.util.Arrays.stream(schemes.split(",")).map(String::trim)
                    .filter(x -> !x.isEmpty()).distinct().toArray(String[]::new));
        }

        @Override
        public boolean exclude(String endpointUri, CamelContext context) {
            int colon = endpointUri == null ? -1 : endpointUri.indexOf(':');
            return colon > 0 && schemes.contains(endpointUri.substring(0, colon));
        }

        /** Whether an event makes a span: not the send to a direct: endpoint (its route's span stands for it). */
        static boolean recorded(String endpointUri, Op op) {
            return !(op == Op.EVENT_SENT && endpointUri.startsWith("direct:"));
        }

        @Override
        protected void beginEventSpan(Exchange exchange, Endpoint endpoint, Op op) throws Exception {
            boolean recorded = recorded(endpoint.getEndpointUri(), op);
            exchange.setProperty(BEGUN, new Begun(recorded, exchange.getProperty(BEGUN, Begun.class)));
            if (recorded) {
                super.beginEventSpan(exchange, endpoint, op);
            }
        }

        @Override
        protected void endEventSpan(Exchange exchange, Endpoint endpoint) throws Exception {
            Begun begun = exchange.getProperty(BEGUN, Begun.class);
            if (begun != null) {
                if (begun.outer() == null) {
                    exchange.removeProperty(BEGUN);
                } else {
                    exchange.setProperty(BEGUN, begun.outer());
                }
                if (!begun.recorded()) {
                    return;
                }
            }
            super.endEventSpan(exchange, endpoint);
        }

        @Override
        protected void doInit() {
            super.doInit();
            if (!isTraceProcessors()) {
                getCamelContext().getCamelContextExtension().getInterceptStrategies()
                        .removeIf(s -> s instanceof org.apache.camel.telemetry.TraceProcessorsInterceptStrategy);
            }
        }
    }

    /** An OTLP endpoint is set, or a traces exporter named: spans leave the process. */
    static boolean exportsTraces(ConfigProperties config) {
        String exporter = config.getString("otel.traces.exporter");
        if (exporter != null) {
            return !"none".equals(exporter.trim());
        }
        return config.getString("otel.exporter.otlp.endpoint") != null
                || config.getString("otel.exporter.otlp.traces.endpoint") != null;
    }

    /** Per-record spans for the batch consumers, on this SDK. */
    public io.fineas.pipeline.common.RecordTraces recordTraces() {
        return recordTraces;
    }

    /** Sends what is still batched, then stops the SDK (a stop must not lose the last spans of a run). */
    @Override
    public void close() {
        sdk.getSdkTracerProvider().forceFlush().join(5, TimeUnit.SECONDS);
        sdk.shutdown().join(5, TimeUnit.SECONDS);
    }
}
