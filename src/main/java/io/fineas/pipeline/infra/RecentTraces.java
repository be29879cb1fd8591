package io.fineas.pipeline.infra;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.fineas.pipeline.common.ApiException;

import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import org.apache.camel.Header;

/**
 * The spans of the last traces this process ended, in memory: traces without a tracing server (the console's waterfall,
 * GET /traces/{id}). At most {@code maxSpans} spans in all (the trace touched longest ago leaves first) and at most
 * {@code maxSpansPerTrace} of one trace (later spans of a larger trace are counted, not kept), so memory stays bounded
 * (a span is about a kilobyte) whatever the load.
 */
public final class RecentTraces implements SpanProcessor {

    private final int maxSpans;
    private final int maxSpansPerTrace;
    /** By their last span's end (reading a trace does not move it): the first is the one to go. */
    private final Map<String, Trace> traces = new LinkedHashMap<>();
    private int spans;

    public RecentTraces(int maxSpans, int maxSpansPerTrace) {
        if (maxSpans < 1 || maxSpansPerTrace < 1 || maxSpansPerTrace > maxSpans) {
            throw new IllegalArgumentException("keep at least one span, and no more of one trace than in all");
        }
        this.maxSpans = maxSpans;
        this.maxSpansPerTrace = maxSpansPerTrace;
    }

    /** The spans kept of a trace, by start time; empty when this process holds none of it. */
    public List<SpanData> trace(String traceId) {
        synchronized (traces) {
            Trace t = traces.get(traceId);
            if (t == null) {
                return List.of();
            }
            // redacted as they leave, not as they end: off the path of the work
            List<SpanData> spans = new ArrayList<>(t.spans.size());
            t.spans.forEach(s -> spans.add(SpanRedaction.redact(s.toSpanData())));
            spans.sort(Comparator.comparingLong(SpanData::getStartEpochNanos));
            return spans;
        }
    }

    /**
     * The newest traces (by their last span's end), as GET /traces lists them: id, root span (or the earliest span
     * this process holds), its service, start, duration, span count and whether a span failed.
     *
     * @param limit 1 to 100, default 20
     */
    public Map<String, Object> recent(@Header("limit") Object limit) {
        int n = io.fineas.pipeline.common.QueryParameters.wholeNumber("limit", limit, 20, 100);
        List<Map<String, Object>> out = new ArrayList<>();
        synchronized (traces) {
            List<Map.Entry<String, Trace>> newestFirst = new ArrayList<>(traces.entrySet());
            java.util.Collections.reverse(newestFirst);
            for (Map.Entry<String, Trace> e : newestFirst.subList(0, Math.min(n, newestFirst.size()))) {
                List<SpanData> spans = e.getValue().spans.stream().map(ReadableSpan::toSpanData).toList();
                SpanData root = spans.stream().filter(s -> !s.getParentSpanContext().isValid()).findFirst()
                        .orElse(spans.stream().min(Comparator.comparingLong(SpanData::getStartEpochNanos)).orElseThrow());
                long start = spans.stream().mapToLong(SpanData::getStartEpochNanos).min().orElse(0);
                long end = spans.stream().mapToLong(SpanData::getEndEpochNanos).max().orElse(start);
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("trace_id", e.getKey());
                t.put("root", root.getName());
                t.put("service", root.getResource().getAttribute(
                        io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));
                t.put("started_at", java.time.Instant.ofEpochSecond(0, start).toString());
                t.put("duration_ms", millis(end - start));
                t.put("spans", spans.size() + e.getValue().dropped);
                t.put("error", spans.stream().anyMatch(s -> s.getStatus().getStatusCode()
                        == io.opentelemetry.api.trace.StatusCode.ERROR));
                out.add(t);
            }
        }
        return Map.of("traces", out);
    }

    /**
     * A trace as GET /traces/{trace_id} shows it: its spans by start (times in milliseconds from the trace's first
     * span, so a waterfall needs no arithmetic), each with its parent, service, status, attributes, events and links.
     *
     * @throws ApiException 400 for an id that is not 32 hex digits, 404 when this process holds no span of it
     */
    public Map<String, Object> view(@Header("trace_id") String traceId) {
        if (traceId == null || !traceId.matches("[0-9a-f]{32}")) {
            throw ApiException.badRequest("a trace id is 32 lowercase hex digits");
        }
        List<SpanData> spans = trace(traceId);
        if (spans.isEmpty()) {
            throw ApiException.notFound("no trace with id '" + traceId + "' in this process's recent traces");
        }
        long origin = spans.get(0).getStartEpochNanos();
        List<Map<String, Object>> out = new ArrayList<>();
        for (SpanData s : spans) {
            Map<String, Object> span = new LinkedHashMap<>();
            span.put("span_id", s.getSpanId());
            span.put("parent_span_id", s.getParentSpanContext().isValid() ? s.getParentSpanId() : null);
            span.put("name", s.getName());
            span.put("service", s.getResource().getAttribute(
                    io.opentelemetry.api.common.AttributeKey.stringKey("service.name")));
            span.put("start_ms", millis(s.getStartEpochNanos() - origin));
            span.put("duration_ms", millis(s.getEndEpochNanos() - s.getStartEpochNanos()));
            span.put("error", s.getStatus().getStatusCode() == io.opentelemetry.api.trace.StatusCode.ERROR);
            Map<String, Object> attributes = new TreeMap<>();
            s.getAttributes().forEach((k, v) -> attributes.put(k.getKey(), v));
            span.put("attributes", attributes);
            List<Map<String, Object>> events = new ArrayList<>();
            for (var e : s.getEvents()) {
                Map<String, Object> event = new LinkedHashMap<>();
                event.put("name", e.getName());
                event.put("at_ms", millis(e.getEpochNanos() - origin));
                Map<String, Object> ea = new TreeMap<>();
                e.getAttributes().forEach((k, v) -> ea.put(k.getKey(), v));
                event.put("attributes", ea);
                events.add(event);
            }
            span.put("events", events);
            span.put("links", s.getLinks().stream().map(l -> Map.of("trace_id", l.getSpanContext().getTraceId(),
                    "span_id", l.getSpanContext().getSpanId())).toList());
            out.add(span);
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("trace_id", traceId);
        view.put("started_at", java.time.Instant.ofEpochSecond(0, origin).toString());
        view.put("spans", out);
        view.put("spans_dropped", dropped(traceId));
        return view;
    }

    private static double millis(long nanos) {
        return Math.round(nanos / 1_000.0) / 1_000.0;
    }

    /** How many spans of a trace ended here but were not kept (over the per-trace limit). */
    public int dropped(String traceId) {
        synchronized (traces) {
            Trace t = traces.get(traceId);
            return t == null ? 0 : t.dropped;
        }
    }

    @Override
    public void onStart(Context parentContext, ReadWriteSpan span) {
    }

    @Override
    public boolean isStartRequired() {
        return false;
    }

    @Override
    public void onEnd(ReadableSpan span) {
        if (!span.getSpanContext().isSampled()) {
            return;
        }
        // the ended span itself (it changes no more): its data is copied out only when it is read
        ReadableSpan data = span;
        synchronized (traces) {
            String traceId = data.getSpanContext().getTraceId();
            Trace t = traces.remove(traceId);
            if (t == null) {
                t = new Trace();
            }
            traces.put(traceId, t);
            if (t.spans.size() >= maxSpansPerTrace) {
                t.dropped++;
                return;
            }
            t.spans.add(data);
            spans++;
            var oldest = traces.entrySet().iterator();
            while (spans > maxSpans && oldest.hasNext()) {
                Trace gone = oldest.next().getValue();
                if (gone == t) {
                    continue;
                }
                spans -= gone.spans.size();
                oldest.remove();
            }
        }
    }

    @Override
    public boolean isEndRequired() {
        return true;
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }

    private static final class Trace {
        private final List<ReadableSpan> spans = new ArrayList<>();
        private int dropped;
    }
}
