package io.fineas.pipeline.infra;

import java.util.Map;

import io.opentelemetry.sdk.autoconfigure.spi.internal.DefaultConfigProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which endpoints make no span, and when spans leave the process. */
class PipelineTracingTest {

    @Test
    void theExcludedComponentsEndpointsMakeNoSpanWhateverTheirOptions() {
        PipelineTracing.LeanTracer tracer = new PipelineTracing.LeanTracer(
                "timer, quartz,micrometer,");
        assertThat(tracer.exclude("timer://gateway-lag?period=30000", null)).isTrue();
        assertThat(tracer.exclude("quartz:pipeline/scheduler-tick", null)).isTrue();
        assertThat(tracer.exclude("micrometer:counter:pipeline.records.stale?tags.stage=ingest", null)).isTrue();
        assertThat(tracer.exclude("kafka://alert", null)).isFalse();
        assertThat(tracer.exclude("direct://timer", null)).isFalse();
        assertThat(tracer.exclude(null, null)).isFalse();
        assertThat(tracer.exclude("no-scheme", null)).isFalse();
    }

    @Test
    void aDirectCallIsOneSpanThatOfTheRouteItEnters() {
        assertThat(PipelineTracing.LeanTracer.recorded("direct://json-response",
                org.apache.camel.telemetry.Op.EVENT_SENT)).isFalse();
        assertThat(PipelineTracing.LeanTracer.recorded("direct://json-response",
                org.apache.camel.telemetry.Op.EVENT_RECEIVED)).isTrue();
        assertThat(PipelineTracing.LeanTracer.recorded("kafka://alert",
                org.apache.camel.telemetry.Op.EVENT_SENT)).isTrue();
    }

    @Test
    void spansLeaveOnlyWhenAnEndpointOrAnExporterIsSet() {
        assertThat(PipelineTracing.exportsTraces(DefaultConfigProperties.createFromMap(Map.of()))).isFalse();
        assertThat(PipelineTracing.exportsTraces(DefaultConfigProperties.createFromMap(Map.of(
                "otel.exporter.otlp.endpoint", "http://collector:4318")))).isTrue();
        assertThat(PipelineTracing.exportsTraces(DefaultConfigProperties.createFromMap(Map.of(
                "otel.exporter.otlp.traces.endpoint", "http://collector:4318/v1/traces")))).isTrue();
        assertThat(PipelineTracing.exportsTraces(DefaultConfigProperties.createFromMap(Map.of(
                "otel.exporter.otlp.endpoint", "http://collector:4318", "otel.traces.exporter", "none")))).isFalse();
        assertThat(PipelineTracing.exportsTraces(DefaultConfigProperties.createFromMap(Map.of(
                "otel.traces.exporter", "logging")))).isTrue();
    }
}
