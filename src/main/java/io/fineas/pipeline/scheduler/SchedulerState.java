package io.fineas.pipeline.scheduler;

import java.time.Instant;

/**
 * Where the scheduler keeps the last call of each data collection file, and how instances agree on who fires a due
 * entry: a claim names the slot (the last call it saw, or "never" since the last reset) so that, of all instances
 * that see the same entry due, exactly one claims it.
 */
public interface SchedulerState {

    /** Forgets every last call (the design: all null at start-up) and opens a new "never called" slot. */
    void reset();

    /**
     * Called at every tick: keeps this instance counted among the living ones. An instance's first call resets the last
     * calls only when no instance was alive (the scheduler service starts from nothing, as the design asks), never
     * when another instance runs or one instance restarts within the liveness period: true when it reset.
     */
    boolean heartbeat();

    Instant lastCall(String file);

    /** True for the one caller that may fire the entry for this slot; the claim expires on its own. */
    boolean claim(String file, Instant lastCall);

    /** Gives up a claim after a failed call, so the next tick (of any instance) tries again. */
    void release(String file, Instant lastCall);

    void recordCall(String file, Instant when);

    String describe();
}
