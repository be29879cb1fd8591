package io.fineas.pipeline.rag.llm;

import java.time.Duration;

import com.mongodb.MongoTimeoutException;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.langchain4j.exception.RateLimitException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failed model calls are tried again, for a record and for a question. */
class LlmRetryPolicyTest {

    private final LlmCircuit circuit = new LlmCircuit(Duration.ofSeconds(30));
    private final LlmRetryPolicy policy = new LlmRetryPolicy(4, circuit);

    @Test
    void aRateLimitOrTimeoutIsTriedUpToTheRetriesAndARefusalOfTheInputNever() {
        RuntimeException limited = new RuntimeException("call failed", new RateLimitException("429"));
        assertThat(policy.shouldRetry(limited, 1, null)).isTrue();
        assertThat(policy.shouldRetry(limited, 4, null)).isTrue();
        assertThat(policy.shouldRetry(limited, 5, null)).isFalse();
        assertThat(policy.shouldRetry(new java.util.concurrent.TimeoutException(), 2, "a question")).isTrue();
        assertThat(policy.shouldRetry(new InvalidRequestException("400: too long"), 1, null)).isFalse();
        assertThat(policy.shouldRetry(new IllegalStateException("bug"), 1, "a question")).isFalse();
    }

    @Test
    void aRecordWaitsWhileTheProviderIsDownForEveryoneButAQuestionDoesNot() {
        circuit.breaker().transitionToOpenState();
        try {
            RuntimeException refused = new IllegalStateException("circuit open");
            // a record: tried again however many tries it has had, so it is never dead-lettered for an outage
            assertThat(policy.shouldRetry(refused, 1, null)).isTrue();
            assertThat(policy.shouldRetry(refused, 50, null)).isTrue();
            // a question is answered with an error at once
            assertThat(policy.shouldRetry(refused, 1, "a question")).isFalse();
        } finally {
            circuit.breaker().transitionToClosedState();
        }
        assertThat(policy.shouldRetry(new IllegalStateException("circuit open"), 1, null)).isFalse();
    }

    @Test
    void aRecordTheCircuitTurnedAwayWaitsEvenIfTheProbeClosedTheCircuitMeanwhile() {
        circuit.breaker().transitionToOpenState();
        RuntimeException turnedAway;
        try {
            turnedAway = new RuntimeException(io.github.resilience4j.circuitbreaker.CallNotPermittedException
                    .createCallNotPermittedException(circuit.breaker()));
        } finally {
            // another record's probe got through before this record's failure is judged
            circuit.breaker().transitionToClosedState();
        }
        assertThat(circuit.isOpen()).isFalse();
        assertThat(policy.shouldRetry(turnedAway, 30, null)).isTrue();
        assertThat(policy.shouldRetry(turnedAway, 1, "a question")).isFalse();
    }

    @Test
    void aRecordWaitsWhileThePipelinesOwnMongoDbIsUnreachable() {
        MongoTimeoutException down = new MongoTimeoutException("no server selected");
        assertThat(policy.shouldRetry(new RuntimeException(down), 99, null)).isTrue();
        assertThat(policy.shouldRetry(down, 1, "a question")).isFalse();
    }

    @Test
    void aProviderOutOfReachOrRefusingEveryoneIsAnOutageNotAFaultOfTheRecord() {
        // what langchain4j and the JDK client report while an Ollama or vLLM server restarts or a key expires
        java.util.List<Throwable> outages = java.util.List.of(
                new RuntimeException(new java.net.ConnectException("Connection refused")),
                new RuntimeException(new java.net.SocketException("Connection reset")),
                new RuntimeException(new java.net.UnknownHostException("ollama")),
                new UnresolvedModelServerException(new java.nio.channels.UnresolvedAddressException()),
                new AuthenticationException("401: invalid api key"),
                new ModelNotFoundException("404: model removed"),
                new RuntimeException(new HttpException(403, "forbidden")));
        for (Throwable outage : outages) {
            assertThat(LlmRetryPolicy.isTransient(outage)).as(outage.toString()).isTrue();
            assertThat(policy.shouldRetry(outage, 1, null)).as(outage.toString()).isTrue();
        }
        // a refusal of this input, or a record that is not JSON, is still the record's own fault
        assertThat(LlmRetryPolicy.isTransient(new HttpException(400, "context too long"))).isFalse();
        assertThat(LlmRetryPolicy.isTransient(new com.fasterxml.jackson.core.JsonParseException(null, "bad"))).isFalse();
    }

    @Test
    void aProviderOutageOpensTheCircuitSoTheRecordsWaitInsteadOfRunningOutOfTries() {
        LlmCircuit fresh = new LlmCircuit(Duration.ofSeconds(30));
        LlmRetryPolicy waiting = new LlmRetryPolicy(4, fresh);
        RuntimeException refused = new RuntimeException(new java.net.ConnectException("Connection refused"));
        for (int i = 0; i < 4; i++) {
            fresh.breaker().onError(0, java.util.concurrent.TimeUnit.MILLISECONDS, refused);
        }
        assertThat(fresh.isOpen()).isTrue();
        assertThat(waiting.shouldRetry(refused, 500, null)).isTrue();
    }

    /** A full bulkhead is the pipeline's own load: a record waits (it went to llm.dlq), a question is answered. */
    @Test
    void aRecordThatFindsTheBulkheadFullIsTriedAgainHoweverOften() {
        Throwable full = new RuntimeException(io.github.resilience4j.bulkhead.BulkheadFullException
                .createBulkheadFullException(io.github.resilience4j.bulkhead.Bulkhead.ofDefaults("llm")));
        assertThat(policy.shouldRetry(full, 1, null)).isTrue();
        assertThat(policy.shouldRetry(full, 99, null)).isTrue();
        assertThat(policy.shouldRetry(full, 1, "a question")).isFalse();
        assertThat(LlmRetryPolicy.isTransient(full)).as("not a provider failure: the circuit ignores it").isFalse();
    }
}
