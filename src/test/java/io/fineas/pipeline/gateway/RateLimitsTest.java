package io.fineas.pipeline.gateway;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fineas.pipeline.common.ApiException;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Token buckets per key and endpoint: in this process, and in Redis shared by two gateway replicas. */
class RateLimitsTest {

    private static final Map<String, RateLimits.Limit> LIMITS = Map.of("collect", new RateLimits.Limit(6, 3),
            "chat", new RateLimits.Limit(60, 1));
    private static final ApiKeys.Caller A = new ApiKeys.Caller("key_a", "a", List.of("admin"));
    private static final ApiKeys.Caller B = new ApiKeys.Caller("key_b", "b", List.of("admin"));

    @Test
    void aKeyGetsItsBurstThenA429WithWhenToComeBackAndOtherKeysAndEndpointsKeepTheirs() {
        RateLimits limits = RateLimits.inMemory(LIMITS);
        for (int i = 0; i < 3; i++) {
            limits.take("collect", A);
        }
        ApiException refused = catchThrowableOfType(ApiException.class, () -> limits.take("collect", A));
        assertThat(refused.getStatus()).isEqualTo(429);
        // one token every 10 s (6 a minute)
        assertThat(refused.getRetryAfterSeconds()).isBetween(9L, 10L);
        limits.take("collect", B);
        limits.take("chat", A);
        assertThatThrownBy(() -> limits.take("search", A)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoReplicasOnOneRedisShareTheBudget() {
        String prefix = "test-ratelimit:" + UUID.randomUUID();
        try (JedisPool pool = new JedisPool(URI.create("redis://127.0.0.1:6379"))) {
            RateLimits one = RateLimits.redis(LIMITS, pool, prefix);
            RateLimits two = RateLimits.redis(LIMITS, pool, prefix);
            one.take("collect", A);
            two.take("collect", A);
            one.take("collect", A);
            assertThat(catchThrowableOfType(ApiException.class, () -> two.take("collect", A)).getStatus())
                    .isEqualTo(429);
            two.take("collect", B);
        }
    }

    /**
     * A bucket in Redis kept the limits it was made with: a gateway restarted with GATEWAY_RATE_CHAT_PER_MINUTE raised
     * still answered 429 (with the new figures in its message) until the old bucket expired. A changed setting now
     * applies to every key at once, and a lowered one too.
     */
    @Test
    void aChangedLimitAppliesAtOnceToKeysThatAlreadyHaveABucketInRedis() {
        String prefix = "test-ratelimit:" + UUID.randomUUID();
        try (JedisPool pool = new JedisPool(URI.create("redis://127.0.0.1:6379"))) {
            RateLimits before = RateLimits.redis(Map.of("chat", new RateLimits.Limit(2, 1)), pool, prefix);
            before.take("chat", A);
            assertThat(catchThrowableOfType(ApiException.class, () -> before.take("chat", A)).getStatus())
                    .isEqualTo(429);

            RateLimits raised = RateLimits.redis(Map.of("chat", new RateLimits.Limit(100_000, 1_000)), pool, prefix);
            for (int i = 0; i < 10; i++) {
                raised.take("chat", A);
            }
            RateLimits lowered = RateLimits.redis(Map.of("chat", new RateLimits.Limit(1, 2)), pool, prefix);
            lowered.take("chat", A);
            lowered.take("chat", A);
            assertThat(catchThrowableOfType(ApiException.class, () -> lowered.take("chat", A)).getStatus())
                    .isEqualTo(429);
        }
    }

    @Test
    void withoutRedisTheBudgetHoldsInThisProcess() {
        try (JedisPool nowhere = new JedisPool(URI.create("redis://127.0.0.1:1"), 200)) {
            RateLimits limits = RateLimits.redis(LIMITS, nowhere, "test-ratelimit:down");
            for (int i = 0; i < 3; i++) {
                limits.take("collect", A);
            }
            assertThat(catchThrowableOfType(ApiException.class, () -> limits.take("collect", A)).getStatus())
                    .isEqualTo(429);
        }
    }
}
