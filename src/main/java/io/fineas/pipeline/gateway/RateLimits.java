package io.fineas.pipeline.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.fineas.pipeline.common.ApiException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.util.Pool;

/**
 * Per-key request budgets of the gateway (Bucket4j token buckets): each limited endpoint ({@code collect},
 * {@code chat}, {@code search}, {@code keys}) gives every API key a bucket of {@code burst} requests that refills at
 * {@code perMinute}. Over budget: 429 with Retry-After. In Redis when there is one (every gateway replica shares the
 * buckets; a bucket expires once full again, and its name holds its figures, so a changed setting applies at once),
 * else in this process.
 */
public final class RateLimits {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RateLimits.class);

    /** A budget: at most {@code burst} at once, refilled at {@code perMinute}. */
    public record Limit(long perMinute, long burst) {

        public static Limit parse(String perMinute, String burst) {
            return new Limit(Long.parseLong(perMinute.strip()), Long.parseLong(burst.strip()));
        }

        /**
         * The budget as part of a bucket's name in Redis: Bucket4j keeps a bucket's configuration with its state, so
         * a bucket made under other figures would keep them (a raised limit answered 429 until it expired). Under
         * this name a changed setting is a new bucket for every key at once; the old ones expire when full again.
         */
        String id() {
            return perMinute + "x" + burst;
        }

        /** The one definition of the budget, for buckets in this process and in Redis alike. */
        Bandwidth bandwidth() {
            return Bandwidth.builder().capacity(burst).refillGreedy(perMinute, Duration.ofMinutes(1)).build();
        }
    }

    private final Map<String, Limit> limits;
    private final Function<String, Bucket> buckets;
    /** Redis buckets fall back to these while Redis does not answer (the limit holds per replica meanwhile). */
    private final RateLimits fallback;

    private RateLimits(Map<String, Limit> limits, Function<String, Bucket> buckets,
            RateLimits fallback) {
        this.limits = Map.copyOf(limits);
        this.buckets = buckets;
        this.fallback = fallback;
    }

    /** Buckets in this process (one gateway replica, or no Redis). */
    public static RateLimits inMemory(Map<String, Limit> limits) {
        Map<String, Bucket> local = new ConcurrentHashMap<>();
        return new RateLimits(limits, key -> local.computeIfAbsent(key,
                k -> Bucket.builder().addLimit(limits.get(k.substring(0, k.indexOf(':'))).bandwidth()).build()), null);
    }

    /** Buckets in Redis under {@code prefix}, shared by every gateway replica. */
    public static RateLimits redis(Map<String, Limit> limits, Pool<Jedis> pool, String prefix) {
        ProxyManager<byte[]> proxy = Bucket4jJedis.casBasedBuilder(pool)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(
                        Duration.ofSeconds(10)))
                .build();
        // one proxy per bucket, batching: concurrent requests of one key become one compare-and-swap in Redis instead
        // of as many, which would conflict and be retried (measured: a third of /collect's throughput)
        Map<String, Bucket> proxies = new ConcurrentHashMap<>();
        return new RateLimits(limits, key -> {
            if (proxies.size() > 100_000) {
                proxies.clear();
            }
            return proxies.computeIfAbsent(key, k -> proxy.builder().withOptimization(Optimizations.batching())
                    .build(redisKey(prefix, k, limits.get(k.substring(0, k.indexOf(':')))),
                            () -> BucketConfiguration.builder()
                                    .addLimit(limits.get(k.substring(0, k.indexOf(':'))).bandwidth()).build()));
        }, inMemory(limits));
    }

    /** {@code prefix:endpoint:limit:keyId}: the limit's figures in the name (Limit.id). */
    private static byte[] redisKey(String prefix, String bucket, Limit limit) {
        int colon = bucket.indexOf(':');
        return (prefix + ":" + bucket.substring(0, colon) + ":" + limit.id() + bucket.substring(colon))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Takes one request of the caller's budget for the endpoint, or refuses it with 429 and when to come back. */
    public void take(String endpoint, ApiKeys.Caller caller) {
        Limit limit = limits.get(endpoint);
        if (limit == null) {
            throw new IllegalArgumentException("no rate limit named " + endpoint);
        }
        ConsumptionProbe probe;
        try {
            probe = buckets.apply(endpoint + ":" + caller.id()).tryConsumeAndReturnRemaining(1);
        } catch (redis.clients.jedis.exceptions.JedisException redisDown) {
            LOG.warn("Rate limits in this process while Redis does not answer: {}", redisDown.toString());
            fallback.take(endpoint, caller);
            return;
        }
        if (!probe.isConsumed()) {
            throw new ApiException(429, "rate_limited", "this API key made more than " + limit.burst()
                    + " requests at once or " + limit.perMinute() + " a minute to /" + endpoint
                    + " (GATEWAY_RATE_" + endpoint.toUpperCase(java.util.Locale.ROOT) + "_PER_MINUTE)",
                    Duration.ofNanos(probe.getNanosToWaitForRefill()));
        }
    }

    /**
     * Takes one request of a budget that is not a key's: a node's (its id) or an address's (a node that has not
     * joined yet: its remote address, host only).
     */
    public void takeFor(String endpoint, Object who) {
        String id = who instanceof io.vertx.core.net.SocketAddress a ? "address:" + a.hostAddress()
                : "node:" + who;
        take(endpoint, new ApiKeys.Caller(id, id, java.util.List.of()));
    }
}
