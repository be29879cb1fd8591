package io.fineas.pipeline.processors;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.mongodb.MongoSocketOpenException;
import com.mongodb.ServerAddress;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failed captures are tried again: server faults and timeouts, up to the processor's retries. */
class CaptureRetryPolicyTest {

    private final CaptureRetryPolicy policy = new CaptureRetryPolicy();
    private final ProcessorRun run = new ProcessorRun(new ProcessorConfig("news", Path.of("news.yaml"), "finance",
            "news", "http", "http://example.org/{id}", Map.of(), null, List.of(), 10, 2, 2, 0, 1000,
            CaptureGuard.Rules.defaults()), "run-1", null, "data-finance", "2026-11-26T00:00:00Z", "g1");

    private static HttpOperationFailedException status(int code) {
        return new HttpOperationFailedException("http://example.org/1", code, "status " + code, null, Map.of(), "");
    }

    @Test
    void serverFaultsRateLimitsAndTimeoutsAreTriedUpToTheRetries() {
        for (Throwable t : List.of(status(503), status(429), new SocketTimeoutException(), new ConnectException())) {
            assertThat(policy.shouldRetry(new RuntimeException(t), 1, run)).as("%s", t).isTrue();
            assertThat(policy.shouldRetry(t, 2, run)).as("%s", t).isTrue();
            assertThat(policy.shouldRetry(t, 3, run)).as("%s after the retries", t).isFalse();
        }
    }

    @Test
    void clientErrorsAndRefusalsOfTheProcessorsRulesAreNotTriedAgain() {
        assertThat(policy.shouldRetry(status(404), 1, run)).isFalse();
        assertThat(policy.shouldRetry(status(400), 1, run)).isFalse();
        assertThat(policy.shouldRetry(new CaptureGuard.CaptureRefusedException("capture refused: too large"), 1, run))
                .isFalse();
        assertThat(policy.shouldRetry(new IllegalArgumentException("not JSON"), 1, run)).isFalse();
    }

    @Test
    void thePipelinesOwnMongoDbUnreachableIsWaitedOut() {
        MongoSocketOpenException down = new MongoSocketOpenException("refused", new ServerAddress());
        assertThat(policy.shouldRetry(down, 100, run)).isTrue();
        assertThat(policy.shouldRetry(down, 1, null)).isTrue();
    }
}
