package io.fineas.pipeline.scheduler;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import redis.clients.jedis.JedisPooled;
import redis.clients.jedis.params.SetParams;

/**
 * Scheduler state in Redis: a hash PREFIX:last-call (file -> ISO instant), a PREFIX:epoch written at each reset,
 * claims PREFIX:claim:FILE:SLOT set with SET NX PX, released only by their owner (compare-and-delete script), and
 * PREFIX:alive, set by every living instance at each tick with an expiry of the liveness period: an instance that
 * finds it absent at its first tick is the first of a scheduler service starting from nothing, and resets.
 */
public final class RedisSchedulerState implements SchedulerState, AutoCloseable {

    private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then "
            + "return redis.call('del', KEYS[1]) else return 0 end";

    private final JedisPooled redis;
    private final String prefix;
    private final Duration claimTtl;
    private final String owner = UUID.randomUUID().toString();
    private final String url;
    private final Duration liveness;
    private boolean joined;

    public RedisSchedulerState(String url, String prefix, Duration claimTtl) {
        this(url, prefix, claimTtl, Duration.ofMinutes(3));
    }

    /** @param liveness how long an instance counts as alive after its last tick (longer than the tick period) */
    public RedisSchedulerState(String url, String prefix, Duration claimTtl, Duration liveness) {
        this.url = url;
        this.redis = new JedisPooled(URI.create(url));
        this.prefix = prefix;
        this.claimTtl = claimTtl;
        this.liveness = liveness;
    }

    @Override
    public synchronized boolean heartbeat() {
        String alive = prefix + ":alive";
        if (!joined && "OK".equals(redis.set(alive, owner, SetParams.setParams().nx().px(liveness.toMillis())))) {
            reset();
            joined = true;
            return true;
        }
        redis.set(alive, owner, SetParams.setParams().px(liveness.toMillis()));
        joined = true;
        return false;
    }

    public boolean ping() {
        try {
            return "PONG".equals(redis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void reset() {
        redis.del(prefix + ":last-call");
        redis.set(prefix + ":epoch", Instant.now().toString() + "/" + owner);
    }

    @Override
    public Instant lastCall(String file) {
        String value = redis.hget(prefix + ":last-call", file);
        return value == null ? null : Instant.parse(value);
    }

    @Override
    public boolean claim(String file, Instant lastCall) {
        return "OK".equals(redis.set(claimKey(file, lastCall), owner, SetParams.setParams().nx().px(claimTtl.toMillis())));
    }

    @Override
    public void release(String file, Instant lastCall) {
        redis.eval(RELEASE, List.of(claimKey(file, lastCall)), List.of(owner));
    }

    @Override
    public void recordCall(String file, Instant when) {
        redis.hset(prefix + ":last-call", file, when.toString());
    }

    private String claimKey(String file, Instant lastCall) {
        String slot = lastCall == null ? "never:" + redis.get(prefix + ":epoch") : lastCall.toString();
        return prefix + ":claim:" + file + ":" + slot;
    }

    @Override
    public String describe() {
        return "Redis at " + url.replaceAll("//[^@/]*@", "//***@") + " (keys " + prefix + ":*)";
    }

    @Override
    public void close() {
        redis.close();
    }
}
