package io.fineas.pipeline.infra;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Waits at start for what a process cannot work without (Kafka, MongoDB), trying again with a growing pause (1 s
 * doubling to 30 s) and one clear log line per try, instead of failing on the first refused connection: containers
 * start in any order. Gives up after the longest wait, so that an orchestrator restarts the process.
 */
public final class StartupWait {

    private static final Logger LOG = LoggerFactory.getLogger(StartupWait.class);
    private static final Duration FIRST_PAUSE = Duration.ofSeconds(1);
    private static final Duration LONGEST_PAUSE = Duration.ofSeconds(30);

    private StartupWait() {
    }

    /** Returns once {@code answers} is true; throws IllegalStateException once {@code longest} has passed. */
    public static void until(String what, BooleanSupplier answers, Duration longest) {
        long deadline = System.nanoTime() + longest.toNanos();
        Duration pause = FIRST_PAUSE;
        for (int attempt = 1; ; attempt++) {
            if (answers.getAsBoolean()) {
                if (attempt > 1) {
                    LOG.info("{} answers (after {} tries)", what, attempt);
                }
                return;
            }
            if (System.nanoTime() + pause.toNanos() - deadline > 0) {
                throw new IllegalStateException(what + " did not answer within " + longest.toSeconds()
                        + " s (STARTUP_MAX_WAIT_MS); the process stops so that it can be started again");
            }
            LOG.warn("Waiting for {}: no answer (try {}); trying again in {} s", what, attempt, pause.toSeconds());
            try {
                Thread.sleep(pause.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
            pause = pause.multipliedBy(2).compareTo(LONGEST_PAUSE) > 0 ? LONGEST_PAUSE : pause.multipliedBy(2);
        }
    }
}
