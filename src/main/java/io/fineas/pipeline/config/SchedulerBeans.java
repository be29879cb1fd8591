package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import io.fineas.pipeline.infra.PingHealthCheck;
import io.fineas.pipeline.scheduler.InMemorySchedulerState;
import io.fineas.pipeline.scheduler.RedisSchedulerState;
import io.fineas.pipeline.scheduler.ScheduleBook;
import io.fineas.pipeline.scheduler.ScheduleFile;
import io.fineas.pipeline.scheduler.SchedulerState;
import org.apache.camel.PropertyInject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The scheduler's beans (routes/scheduler/): the schedule and its state in Redis (or memory, with a warning). */
public class SchedulerBeans {

    private static final Logger LOG = LoggerFactory.getLogger(SchedulerBeans.class);

    @PropertyInject("pipeline.scheduler.schedule-file")
    private String scheduleFile;
    @PropertyInject("pipeline.configured.redis")
    private String configuredRedis;
    @PropertyInject("pipeline.scheduler.redis-url")
    private String redisUrl;
    @PropertyInject("pipeline.scheduler.redis-prefix")
    private String redisPrefix;
    @PropertyInject("pipeline.scheduler.claim-ttl-ms")
    private long claimTtlMs;
    @PropertyInject("pipeline.scheduler.tick-ms")
    private long tickMs;
    @PropertyInject("pipeline.scheduler.state")
    private String schedulerState;

    public void bind(SharedBeans shared) throws Exception {
        // no reset here: the first tick joins the living instances, or resets when there are none (Redis may be down
        // at start-up: the gateway in the same process still starts, the tick reports it and tries again)
        SchedulerState state = state(shared);
        ScheduleBook book = new ScheduleBook(new ScheduleFile(Path.of(scheduleFile)), state, Clock.systemUTC());
        shared.context().getRegistry().bind("scheduleBook", book);
        shared.whenMetersExist(meters -> io.fineas.pipeline.infra.OperationalMetrics.registerSchedulerSkipped(meters,
                () -> book.problems().size()));
        LOG.info("Scheduler state: {}", state.describe());
    }

    private SchedulerState state(SharedBeans shared) throws Exception {
        // an instance counts as alive for three ticks (at least a minute) after its last one
        RedisSchedulerState redis = new RedisSchedulerState(redisUrl, redisPrefix, Duration.ofMillis(claimTtlMs),
                Duration.ofMillis(Math.max(3 * tickMs, 60_000)));
        boolean redisConfigured = !configuredRedis.isBlank();
        if ("auto".equalsIgnoreCase(schedulerState) && !redisConfigured && !redis.ping()) {
            redis.close();
            LOG.warn("No Redis answers at {} and REDIS_URL is not set: the scheduler keeps its last calls in memory. "
                    + "Several scheduler instances would each fire every entry; start Redis or set REDIS_URL.",
                    redisUrl);
            return new InMemorySchedulerState();
        }
        shared.closeOnStop(redis);
        shared.context().getRegistry().bind("schedulerRedisHealth", new PingHealthCheck("scheduler-redis", redis::ping,
                "Redis (REDIS_URL) does not answer: no scheduled collection fires"));
        return redis;
    }
}
