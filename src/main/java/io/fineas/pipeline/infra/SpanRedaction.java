package io.fineas.pipeline.infra;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.DelegatingSpanData;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * What a span may not carry out of the process: a URL's query (a source's URL may hold its API key, as
 * {@code ?apikey=...}; Camel puts the full URL in {@code http.url} and the endpoint's options in {@code camel.uri} and
 * {@code url.query}), and more than the first line of an error message (a parser's message may quote captured
 * content). Applied to the spans kept in memory and to those exported.
 */
public final class SpanRedaction {

    /** The longest error message a span keeps. */
    static final int MAX_MESSAGE = 200;

    private SpanRedaction() {
    }

    public static SpanData redact(SpanData span) {
        Attributes attributes = redact(span.getAttributes());
        List<EventData> events = new ArrayList<>(span.getEvents().size());
        boolean eventsChanged = false;
        for (EventData e : span.getEvents()) {
            Attributes a = redact(e.getAttributes());
            if (a != e.getAttributes()) {
                eventsChanged = true;
                e = EventData.create(e.getEpochNanos(), e.getName(), a, e.getTotalAttributeCount());
            }
            events.add(e);
        }
        if (attributes == span.getAttributes() && !eventsChanged) {
            return span;
        }
        List<EventData> keptEvents = List.copyOf(events);
        return new DelegatingSpanData(span) {
            @Override
            public Attributes getAttributes() {
                return attributes;
            }

            @Override
            public List<EventData> getEvents() {
                return keptEvents;
            }
        };
    }

    /** The attributes with every URL's query and every option string removed, messages cut; the same if clean. */
    static Attributes redact(Attributes attributes) {
        boolean[] changed = {false};
        AttributesBuilder out = Attributes.builder();
        attributes.forEach((key, value) -> {
            String name = key.getKey();
            if (!(value instanceof String s)) {
                putRaw(out, key, value);
                return;
            }
            if ("url.query".equals(name)) {
                changed[0] = true;
                return;
            }
            String kept = s;
            if (name.contains("url") || name.contains("uri") || s.contains("://")) {
                int q = s.indexOf('?');
                kept = q < 0 ? s : s.substring(0, q);
            }
            if (name.contains("message") || name.contains("stacktrace")) {
                int nl = kept.indexOf('\n');
                kept = nl < 0 ? kept : kept.substring(0, nl);
                kept = kept.length() > MAX_MESSAGE ? kept.substring(0, MAX_MESSAGE) + "…" : kept;
            }
            if (!kept.equals(s)) {
                changed[0] = true;
            }
            out.put(name, kept);
        });
        return changed[0] ? out.build() : attributes;
    }

    @SuppressWarnings("unchecked")
    private static void putRaw(AttributesBuilder out, AttributeKey<?> key, Object value) {
        out.put((AttributeKey<Object>) key, value);
    }

    /** An exporter that sends the redacted spans to the given one. */
    public static SpanExporter exporter(SpanExporter delegate) {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return delegate.export(spans.stream().map(SpanRedaction::redact).toList());
            }

            @Override
            public CompletableResultCode flush() {
                return delegate.flush();
            }

            @Override
            public CompletableResultCode shutdown() {
                return delegate.shutdown();
            }
        };
    }
}
