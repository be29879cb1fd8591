package io.fineas.pipeline.scheduler;

import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Scheduler state for a single instance without Redis (embedded default only): nothing shared, nothing kept. */
public final class InMemorySchedulerState implements SchedulerState {

    private final Map<String, Instant> lastCalls = new ConcurrentHashMap<>();
    private final Set<String> claims = ConcurrentHashMap.newKeySet();
    private volatile long epoch;

    @Override
    public void reset() {
        lastCalls.clear();
        claims.clear();
        epoch++;
    }

    private boolean started;

    /** In memory, the state lives and dies with this instance: its first tick starts from nothing. */
    @Override
    public synchronized boolean heartbeat() {
        if (started) {
            return false;
        }
        started = true;
        reset();
        return true;
    }

    @Override
    public Instant lastCall(String file) {
        return lastCalls.get(file);
    }

    @Override
    public boolean claim(String file, Instant lastCall) {
        return claims.add(key(file, lastCall));
    }

    @Override
    public void release(String file, Instant lastCall) {
        claims.remove(key(file, lastCall));
    }

    @Override
    public void recordCall(String file, Instant when) {
        lastCalls.put(file, when);
    }

    private String key(String file, Instant lastCall) {
        return file + ":" + (lastCall == null ? "never:" + epoch : lastCall.toString());
    }

    @Override
    public String describe() {
        return "in-memory (no Redis: last calls are not shared between instances nor kept across restarts)";
    }
}
