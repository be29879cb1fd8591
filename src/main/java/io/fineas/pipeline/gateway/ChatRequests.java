package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.ChatQuestion;
import io.fineas.pipeline.messages.ChatReply;
import org.apache.camel.AsyncCallback;
import org.apache.camel.AsyncProcessor;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Variable;
import org.apache.camel.support.AsyncProcessorSupport;

/**
 * Request-reply over Kafka for POST /chat: each question gets a correlation id and waits here; this gateway instance
 * reads every reply (its own consumer group) and completes only the questions it is waiting for, so several gateway
 * instances each get their own answers. A question waits without a thread ({@link #awaitAnswer()} is asynchronous:
 * the HTTP worker is free while the model works). At most so many questions wait per key (429) and in all (503);
 * no answer in time: 504.
 */
public final class ChatRequests {

    private record Pending(String callerId, CompletableFuture<ChatReply> reply, long deadlineNanos) {
    }

    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> waitingPerKey = new ConcurrentHashMap<>();
    private final Duration timeout;
    private final int maxPerKey;
    private final int maxWaiting;

    public ChatRequests(Duration timeout, int maxPerKey, int maxWaiting) {
        this.timeout = timeout;
        this.maxPerKey = maxPerKey;
        this.maxWaiting = maxWaiting;
    }

    /** POST /chat's answer: the reply without its correlation. */
    public record Answer(
            @JsonProperty("answer") String answer,
            @JsonProperty("sources") List<ChatReply.Source> sources,
            @JsonProperty("model") String model,
            @JsonProperty("latency_ms") Long latencyMs,
            @JsonProperty("usage") io.fineas.pipeline.messages.ModelUsage usage) {
    }

    /** The question as it goes to the chat service; refused when too many of this key's or all questions wait. */
    public ChatQuestion request(@Body Map<String, Object> body, @Variable("caller") ApiKeys.Caller caller) {
        // a question whose publish failed never reached awaitAnswer: it stops counting once its time is up
        long now = System.nanoTime();
        pending.forEach((id, p) -> {
            if (p.deadlineNanos() - now < 0 && !p.reply().isDone()) {
                forget(id);
            }
        });
        if (pending.size() >= maxWaiting) {
            throw new ApiException(503, "busy", "too many questions are waiting for an answer; try again shortly",
                    Duration.ofSeconds(5));
        }
        AtomicInteger mine = waitingPerKey.computeIfAbsent(caller.id(), k -> new AtomicInteger());
        if (mine.incrementAndGet() > maxPerKey) {
            release(caller.id());
            throw new ApiException(429, "too_many_questions", "this API key has " + maxPerKey
                    + " questions waiting for an answer already (CHAT_MAX_WAITING_PER_KEY)", Duration.ofSeconds(5));
        }
        String id = UUID.randomUUID().toString();
        ChatQuestion question = new ChatQuestion(id, text(body.get("question")), text(body.get("topic")),
                text(body.get("segment")), body.get("session_id") == null ? null
                        : caller.id() + ":" + body.get("session_id"), text(body.get("retrieval")), caller.id());
        pending.put(id, new Pending(caller.id(), new CompletableFuture<>(), now + timeout.toNanos() * 2));
        return question;
    }

    /**
     * The step that waits for the answer of the question in the variable {@code request} and puts it in the body
     * (or the 503/504 refusal in the exchange), without holding a thread.
     */
    public AsyncProcessor awaitAnswer() {
        return new AsyncProcessorSupport() {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                String id = exchange.getVariable("request", ChatQuestion.class).correlationId();
                Pending waiting = pending.get(id);
                if (waiting == null) {
                    exchange.setException(new IllegalStateException("no question waits with id " + id));
                    callback.done(true);
                    return true;
                }
                waiting.reply().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).whenComplete((reply, error) -> {
                    forget(id);
                    if (error != null) {
                        exchange.setException(error instanceof TimeoutException
                                ? new ApiException(504, "timeout", "no answer within " + timeout.toSeconds()
                                        + " s; the chat service may be busy or down")
                                : error);
                    } else if (ChatReply.BUDGET_SPENT.equals(reply.error())) {
                        // the budget is per UTC day: it allows again at midnight (or when an admin raises it)
                        java.time.Instant now = java.time.Instant.now();
                        Duration untilTomorrow = Duration.between(now, now.truncatedTo(java.time.temporal.ChronoUnit.DAYS)
                                .plus(Duration.ofDays(1)));
                        exchange.setException(new ApiException(429, "budget_spent", "the topic spent its token budget "
                                + "for today (PUT /topics/{topic}/budget raises it)", untilTomorrow));
                    } else if (reply.error() != null) {
                        // the chat service's reason is in its log, not in the answer
                        exchange.setException(new ApiException(503, "llm_unavailable", "the language model cannot "
                                + "be reached now; try again later", Duration.ofSeconds(30)));
                    } else {
                        exchange.getMessage().setBody(new Answer(reply.answer(), reply.sources(), reply.model(),
                                reply.latencyMs(), reply.usage()));
                    }
                    callback.done(false);
                });
                return false;
            }
        };
    }

    /** A reply from the chat service; replies for other gateway instances are ignored. */
    public void complete(@Body ChatReply reply) {
        Pending waiting = reply.correlationId() == null ? null : pending.get(reply.correlationId());
        if (waiting != null) {
            waiting.reply().complete(reply);
        }
    }

    private static String text(Object value) {
        return value instanceof String s ? s : null;
    }

    /** Questions waiting for an answer on this instance. */
    public int waiting() {
        return pending.size();
    }

    private void forget(String id) {
        Pending gone = pending.remove(id);
        if (gone != null) {
            release(gone.callerId());
        }
    }

    private void release(String callerId) {
        AtomicInteger count = waitingPerKey.get(callerId);
        if (count != null && count.decrementAndGet() <= 0) {
            waitingPerKey.remove(callerId, count);
        }
    }
}
