package io.fineas.pipeline.rag.llm;

import java.time.Duration;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model provider's circuit breaker, shared by analysis and chat (each has its own bulkhead in its route). While it
 * is open the analysis waits (LlmRetryPolicy: the record in flight is tried again with backoff, its consumer polls
 * nothing, nothing goes to the dead-letter topic) until a probe call gets through (half-open, after the open-state
 * wait); chat questions are answered at once with an error.
 *
 * <p>Not a suspension of the Kafka consumer: camel-kafka 4.17 does not seek back to a failed record while its consumer
 * is paused, and a resume seeks only partitions that have a committed offset, so the records polled with the failed one
 * were skipped (measured with LlmOutageTest).
 */
public final class LlmCircuit {

    private static final Logger LOG = LoggerFactory.getLogger(LlmCircuit.class);

    private final CircuitBreaker breaker;

    public LlmCircuit(Duration openState) {
        this.breaker = CircuitBreaker.of("llm", CircuitBreakerConfig.custom()
                // open after half of the last ten calls failed (at least four calls)
                .failureRateThreshold(50).slidingWindowSize(10).minimumNumberOfCalls(4)
                .waitDurationInOpenState(openState)
                // half-open on its own after the wait: the next try of the waiting record is the probe
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // one probe call decides whether the provider is back
                .permittedNumberOfCallsInHalfOpenState(1)
                // only the provider's own failures (429, 5xx, timeouts) count; a refusal of one input (4xx) counts
                // neither as a failure nor as a success
                .ignoreException(error -> !LlmRetryPolicy.isTransient(error))
                .build());
        breaker.getEventPublisher().onStateTransition(e -> {
            if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                LOG.warn("The model provider fails ({}): analysis waits, chat answers 503 until it answers again",
                        e.getStateTransition());
            } else {
                LOG.info("Model provider circuit: {}", e.getStateTransition());
            }
        });
    }

    public CircuitBreaker breaker() {
        return breaker;
    }

    /** The provider is failing: the circuit is open or only probing (half-open). */
    public boolean isOpen() {
        return breaker.getState() != CircuitBreaker.State.CLOSED;
    }

}
