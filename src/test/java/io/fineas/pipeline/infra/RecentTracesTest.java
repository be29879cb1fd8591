package io.fineas.pipeline.infra;

import java.util.List;
import java.util.Map;

import io.fineas.pipeline.common.ApiException;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The traces kept in memory: bounded in all and per trace, listed newest first, redacted, shown as a waterfall. */
class RecentTracesTest {

    private final RecentTraces recent = new RecentTraces(10, 4);
    private final SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(recent).build();
    private final Tracer tracer = provider.get("test");

    @AfterEach
    void close() {
        provider.close();
    }

    /** A trace of a root and {@code children} children; its id. */
    private String trace(String name, int children) {
        // no parent from the thread (a test before may have left a context current on it)
        Span root = tracer.spanBuilder(name).setNoParent().startSpan();
        for (int i = 0; i < children; i++) {
            tracer.spanBuilder(name + "-" + i).setParent(Context.root().with(root)).startSpan().end();
        }
        root.end();
        return root.getSpanContext().getTraceId();
    }

    @Test
    void aTraceKeepsAtMostItsShareAndTheOldestTracesGoWhenAllSpansAreTaken() {
        String big = trace("big", 6);
        assertThat(recent.trace(big)).hasSize(4);
        assertThat(recent.dropped(big)).isEqualTo(3);
        String a = trace("a", 2);
        String b = trace("b", 2);
        // 4 + 3 + 3 = 10 spans: all kept; one more trace of 3 pushes out the oldest
        assertThat(recent.trace(big)).isNotEmpty();
        String c = trace("c", 2);
        assertThat(recent.trace(big)).isEmpty();
        assertThat(recent.trace(a)).hasSize(3);
        assertThat(recent.trace(b)).hasSize(3);
        assertThat(recent.trace(c)).hasSize(3);
        // reading a trace does not make it the newest
        recent.view(a);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> listed = (List<Map<String, Object>>) recent.recent(null).get("traces");
        assertThat(listed).extracting(t -> t.get("trace_id")).containsExactly(c, b, a);
        assertThat(listed.get(0)).containsEntry("root", "c").containsEntry("spans", 3).containsEntry("error", false);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aViewPlacesEachSpanOnTheTracesTimeLineUnderItsParent() {
        String id = trace("run", 2);
        Map<String, Object> view = recent.view(id);
        List<Map<String, Object>> spans = (List<Map<String, Object>>) view.get("spans");
        assertThat(spans).hasSize(3);
        Map<String, Object> root = spans.get(0);
        assertThat(root).containsEntry("name", "run").containsEntry("parent_span_id", null)
                .containsEntry("start_ms", 0.0);
        assertThat(spans.subList(1, 3)).allSatisfy(s -> {
            assertThat(s.get("parent_span_id")).isEqualTo(root.get("span_id"));
            assertThat((Double) s.get("start_ms")).isGreaterThanOrEqualTo(0.0);
        });
        assertThatThrownBy(() -> recent.view("nope")).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> recent.view("0".repeat(32))).isInstanceOf(ApiException.class)
                .hasMessageContaining("no trace");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSpanKeepsNoUrlQueryAndOnlyTheFirstLineOfAnErrorMessage() {
        Span span = tracer.spanBuilder("GET").setNoParent().startSpan();
        span.setAttribute("http.url", "https://news.example/feed?apikey=s3cret&q=x");
        span.setAttribute("camel.uri", "http://news.example/feed?apikey=s3cret");
        span.setAttribute("url.query", "apikey=s3cret");
        span.setAttribute("pipeline.source", "https://news.example/a?token=s3cret");
        span.setAttribute("pipeline.run_id", "r-1");
        span.addEvent("error", Attributes.builder().put("message", "Unexpected character at 'SECRET CONTENT'\nline 2"
                + "x".repeat(300)).build());
        span.end();
        Map<String, Object> shown = ((List<Map<String, Object>>) recent.view(span.getSpanContext().getTraceId())
                .get("spans")).get(0);
        assertThat(shown.toString()).doesNotContain("s3cret").doesNotContain("line 2");
        assertThat((Map<String, Object>) shown.get("attributes")).containsEntry("http.url",
                "https://news.example/feed").containsEntry("pipeline.run_id", "r-1").doesNotContainKey("url.query");
        String message = (String) ((Map<String, Object>) ((List<Map<String, Object>>) shown.get("events")).get(0)
                .get("attributes")).get("message");
        assertThat(message).startsWith("Unexpected character").hasSizeLessThanOrEqualTo(SpanRedaction.MAX_MESSAGE + 1);
    }
}
