package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.fineas.pipeline.util.ApiException;

/**
 * Request-reply over Kafka for POST /chat: each question gets a correlation id and waits here; this gateway instance
 * reads every reply (its own consumer group) and completes only the questions it is waiting for, so several gateway
 * instances each get their own answers. No answer in time: 504.
 */
public final class ChatRequests {

    private final Map<String, CompletableFuture<Map<String, Object>>> pending = new ConcurrentHashMap<>();
    private final Duration timeout;

    public ChatRequests(Duration timeout) {
        this.timeout = timeout;
    }

    public Map<String, Object> request(Map<String, Object> body, ApiKeys.Caller caller) {
        Map<String, Object> request = new LinkedHashMap<>();
        String id = UUID.randomUUID().toString();
        request.put("correlation_id", id);
        request.put("question", body.get("question"));
        request.put("topic", body.get("topic"));
        request.put("segment", body.get("segment"));
        request.put("session_id", body.get("session_id") == null ? null : caller.id() + ":" + body.get("session_id"));
        pending.put(id, new CompletableFuture<>());
        return request;
    }

    public Map<String, Object> await(Map<String, Object> request) {
        String id = (String) request.get("correlation_id");
        CompletableFuture<Map<String, Object>> future = pending.get(id);
        try {
            Map<String, Object> reply = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (reply.get("error") != null) {
                throw new ApiException(503, String.valueOf(reply.get("error")), String.valueOf(reply.get("detail")));
            }
            Map<String, Object> answer = new LinkedHashMap<>(reply);
            answer.remove("correlation_id");
            return answer;
        } catch (TimeoutException e) {
            throw new ApiException(504, "timeout", "no answer within " + timeout.toSeconds()
                    + " s; the chat service may be busy or down");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted", "the gateway is shutting down");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pending.remove(id);
        }
    }

    /** A reply from the chat service; replies for other gateway instances are ignored. */
    public void complete(Map<String, Object> reply) {
        CompletableFuture<Map<String, Object>> future = pending.get(String.valueOf(reply.get("correlation_id")));
        if (future != null) {
            future.complete(reply);
        }
    }
}
