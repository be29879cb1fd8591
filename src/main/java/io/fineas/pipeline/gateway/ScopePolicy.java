package io.fineas.pipeline.gateway;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.spi.Policy;
import org.apache.camel.support.AsyncProcessorConverterHelper;
import org.apache.camel.support.processor.DelegateAsyncProcessor;

/**
 * The one authorization step of the HTTP API: every REST route wraps its work in a {@code policy} bound as
 * {@code anyKey}, {@code readTopic}, {@code writeTopic} or {@code admin}, so no route can forget to check, and every
 * route checks the same way. It reads the key as sent (the body's {@code api_key} when the body has one, else the
 * {@code X-API-Key} header; a key in the query string is refused, it would land in access logs), resolves the caller,
 * checks the scope against the topic the request names (the body's {@code topic}; for a request without a body, the
 * {@code {topic}} of its path, and never a query parameter or header of that name; no topic means every topic) and
 * leaves the caller in the variable {@code caller}.
 * A /collect body (a list of entries) is checked entry by entry, each with its own key or the header's.
 */
public final class ScopePolicy implements Policy {

    public static final String CALLER = "caller";
    /** The variable of a list body's callers, one per entry (the entry's own api_key's, or the header key's). */
    public static final String ENTRY_CALLERS = "entryCallers";
    private static final String HEADER = "X-API-Key";

    /** What a route needs of its caller. */
    public enum Need {
        /** any valid key; the route filters what it answers by the caller's topics */
        ANY_KEY,
        READ_TOPIC,
        WRITE_TOPIC,
        ADMIN
    }

    /**
     * The scheduler when it posts a Data Collection JSON without a key, proving itself with its token: a scheduler in
     * the gateway's process whose admin key was generated at the first start (the embedded default, Akash) has no key
     * to send. It may start collections on every topic, and nothing else.
     */
    public static final ApiKeys.Caller SCHEDULER = new ApiKeys.Caller("scheduler", "the scheduler (its token)",
            List.of("write:*"));

    private final ApiKeys keys;
    private final Need need;
    private final io.fineas.pipeline.common.SchedulerToken schedulerToken;

    public ScopePolicy(ApiKeys keys, Need need) {
        this(keys, need, null);
    }

    /** @param schedulerToken the token that stands for a key on a /collect entry without one (null: none does) */
    public ScopePolicy(ApiKeys keys, Need need, io.fineas.pipeline.common.SchedulerToken schedulerToken) {
        this.keys = keys;
        this.need = need;
        this.schedulerToken = schedulerToken;
    }

    @Override
    public void beforeWrap(Route route, NamedNode definition) {
        // nothing to adjust in the route
    }

    @Override
    public Processor wrap(Route route, Processor processor) {
        return new DelegateAsyncProcessor(AsyncProcessorConverterHelper.convert(processor)) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                try {
                    exchange.setVariable(CALLER, check(exchange.getMessage()));
                } catch (RuntimeException refused) {
                    exchange.setException(refused);
                    callback.done(true);
                    return true;
                }
                return super.process(exchange, callback);
            }

            @Override
            public String toString() {
                return "ScopePolicy[" + need + "]";
            }
        };
    }

    /** The caller of the request, if it may do what the route does; else the refusal (400, 401 or 403). */
    public ApiKeys.Caller check(Message message) {
        refuseKeyInQuery(message.getHeader(Exchange.HTTP_QUERY, String.class));
        // the topic a request names by its path is read from the path alone: platform-http puts every query parameter
        // and request header into the message's headers too, so ?topic= or a 'topic:' header would otherwise stand in
        // for it (GET /schedule?topic=finance passed a read:finance key); the route reads the header set here
        String pathTopic = pathParameter(pathTemplate(message.getExchange()), requestPath(message), "topic");
        if (pathTopic == null) {
            message.removeHeader("topic");
        } else {
            message.setHeader("topic", pathTopic);
        }
        Object headerKey = message.getHeader(HEADER);
        Object body = message.getBody();
        if (body instanceof Map || body instanceof List) {
            requireJsonContentType(message.getHeader(Exchange.CONTENT_TYPE, String.class));
        }
        requireValidText(body);
        if (body instanceof List<?> entries) {
            ApiKeys.Caller first = null;
            List<ApiKeys.Caller> callers = new java.util.ArrayList<>();
            for (Object entry : entries) {
                Map<?, ?> fields = entry instanceof Map<?, ?> m ? m : Map.of();
                Object key = fields.containsKey("api_key") ? fields.get("api_key") : headerKey;
                ApiKeys.Caller caller = key == null && fromScheduler(message) ? SCHEDULER : keys.authenticate(key);
                Object topic = fields.get("topic");
                authorize(caller, Alert.ANY_TOPIC.equals(topic) ? "*" : topic);
                first = first == null ? caller : first;
                callers.add(caller);
            }
            // each entry's own caller, for what records who asked (the runs of /collect)
            message.getExchange().setVariable(ENTRY_CALLERS, callers);
            if (first == null) {
                throw ApiException.unauthorized("an API key is required: the 'api_key' field or the X-API-Key header");
            }
            return first;
        }
        if (body instanceof Map<?, ?> fields) {
            ApiKeys.Caller caller = keys.authenticate(fields.containsKey("api_key") ? fields.get("api_key")
                    : headerKey);
            authorize(caller, fields.get("topic"));
            return caller;
        }
        ApiKeys.Caller caller = keys.authenticate(headerKey);
        authorize(caller, pathTopic);
        return caller;
    }

    private boolean fromScheduler(Message message) {
        return schedulerToken != null && need == Need.WRITE_TOPIC
                && schedulerToken.matches(message.getHeader("X-Scheduler-Token", String.class));
    }

    /** The path template of the REST operation that received the request ("/topics/{topic}/segments"), or null. */
    private static String pathTemplate(Exchange exchange) {
        return exchange.getFromEndpoint() instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint e
                ? e.getPath() : null;
    }

    private static String requestPath(Message message) {
        String path = message.getHeader(Exchange.HTTP_PATH, String.class);
        if (path == null || path.isEmpty()) {
            String uri = message.getHeader(Exchange.HTTP_URI, String.class);
            path = uri == null ? null : uri.split("\\?", 2)[0];
        }
        return path;
    }

    /**
     * The value of the template's {@code {name}} in the request path (the two aligned from their ends, so a context
     * path in front does not matter), URL-decoded; null when the template declares no such parameter.
     */
    static String pathParameter(String template, String path, String name) {
        if (template == null || path == null || !template.contains("{" + name + "}")) {
            return null;
        }
        String[] t = template.replaceAll("^/+|/+$", "").split("/");
        String[] p = path.replaceAll("^/+|/+$", "").split("/");
        for (int i = 1; i <= t.length && i <= p.length; i++) {
            if (t[t.length - i].equals("{" + name + "}")) {
                try {
                    return java.net.URLDecoder.decode(p[p.length - i].replace("+", "%2B"),
                            java.nio.charset.StandardCharsets.UTF_8);
                } catch (IllegalArgumentException malformed) {
                    throw ApiException.badRequest("the path is not valid URL encoding");
                }
            }
        }
        return null;
    }

    private void authorize(ApiKeys.Caller caller, Object topicValue) {
        if (topicValue != null && !(topicValue instanceof String)) {
            throw ApiException.badRequest("'topic' must be one string");
        }
        String topic = (String) topicValue;
        switch (need) {
            case ADMIN -> keys.requireAdmin(caller);
            case WRITE_TOPIC -> keys.requireWrite(caller, topic);
            case READ_TOPIC -> keys.requireRead(caller, topic);
            case ANY_KEY -> {
                // the route answers only what the caller's scopes cover
            }
            default -> throw new IllegalStateException(need.name());
        }
    }

    /**
     * Every string of a parsed body is well-formed Unicode without NUL: a lone UTF-16 surrogate (JSON's "\\ud800")
     * or a NUL would reach a tokenizer, a regex or MongoDB and fail there.
     */
    static void requireValidText(Object value) {
        if (value instanceof String s) {
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 0) {
                    throw ApiException.badRequest("the request holds a NUL character");
                }
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw ApiException.badRequest("the request holds invalid Unicode (a lone UTF-16 surrogate)");
                }
            }
        } else if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                requireValidText(e.getKey());
                requireValidText(e.getValue());
            }
        } else if (value instanceof List<?> list) {
            for (Object item : list) {
                requireValidText(item);
            }
        }
    }

    private static void requireJsonContentType(String contentType) {
        String type = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!type.equals("application/json")) {
            throw new ApiException(415, "unsupported_media_type", "the request body must be sent as "
                    + "Content-Type: application/json");
        }
    }

    private static void refuseKeyInQuery(String query) {
        if (query == null || query.isEmpty()) {
            return;
        }
        for (String pair : query.split("&")) {
            String name;
            try {
                name = java.net.URLDecoder.decode(pair.split("=", 2)[0], java.nio.charset.StandardCharsets.UTF_8)
                        .toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException malformed) {
                throw ApiException.badRequest("the query string is not valid URL encoding");
            }
            if (name.equals("x-api-key") || name.equals("api_key") || name.equals("apikey")) {
                throw ApiException.badRequest("API keys are not accepted in the query string (it lands in access "
                        + "logs): send the X-API-Key header or the body's api_key field");
            }
        }
    }
}
