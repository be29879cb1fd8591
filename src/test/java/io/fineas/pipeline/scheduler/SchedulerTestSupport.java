package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Properties;

import io.fineas.pipeline.support.MutableClock;
import io.fineas.pipeline.support.PipelineTestSupport;

/**
 * The scheduler with its Quartz tick replaced by direct:scheduler-tick (ticks are sent by hand), its schedule in a
 * folder of the test's own, its Redis keys under a prefix of the test's own, and a clock the test moves.
 */
abstract class SchedulerTestSupport extends PipelineTestSupport {

    protected final MutableClock clock = new MutableClock(Instant.parse("2026-01-05T00:00:00Z"));
    private Path dir;

    /** Where the scheduler POSTs data collection files. */
    protected abstract String gatewayUrl();

    /** Extra properties of the test class. */
    protected void schedulerProperties(Properties p) {
    }

    @Override
    protected final void overrideProperties(Properties p) {
        p.put("pipeline.scheduler.schedule-file", dir().resolve("schedule.json").toString());
        p.put("pipeline.scheduler.gateway-url", gatewayUrl());
        p.put("pipeline.scheduler.redis-prefix", "test:" + ids().suffix());
        p.put("pipeline.scheduler.state", "redis");
        schedulerProperties(p);
    }

    @Override
    protected void doPreSetup() {
        replaceRouteFromWith("scheduler-tick", "direct:scheduler-tick");
    }

    protected Path dir() {
        if (dir == null) {
            try {
                dir = Files.createTempDirectory("schedules");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return dir;
    }

    /** The application's schedule book, driven by the test's clock. */
    protected ScheduleBook book() {
        ScheduleBook book = context.getRegistry().lookupByNameAndType("scheduleBook", ScheduleBook.class);
        book.useClock(clock);
        return book;
    }

    protected void tick() {
        book();
        template.sendBody("direct:scheduler-tick", null);
    }
}
