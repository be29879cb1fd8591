package io.fineas.pipeline.gateway;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fineas.pipeline.catalog.Names;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.SchedulerToken;
import io.fineas.pipeline.messages.Alert;
import org.apache.camel.Variable;

/**
 * Turns a Data Collection JSON (an array of {api_key, topic, segment_targets}) into alerts: every entry is checked
 * (key and scope by the route's policy; topic and segments exist here) before any alert is made, so a bad entry publishes nothing. An alert is the
 * entry without its api key, plus a run id and the request time.
 *
 * <p>{@code "topic": "alert"} (the seed's example) targets the segments under any topic that has them; a data
 * topic name targets the segments under that topic only.
 */
public final class CollectRequests {

    /** What the scheduler names its entries by: a data collection file's path in the schedule. */
    private static final java.util.regex.Pattern SCHEDULE_ENTRY = java.util.regex.Pattern.compile("[A-Za-z0-9._/-]{1,200}");

    private final TopicRegistry topics;
    private final Segments segments;
    private final SchedulerToken schedulerToken;

    public CollectRequests(TopicRegistry topics, Segments segments) {
        this(topics, segments, null);
    }

    /** @param schedulerToken what the scheduler shows (null: no request may name a schedule entry) */
    public CollectRequests(TopicRegistry topics, Segments segments, SchedulerToken schedulerToken) {
        this.topics = topics;
        this.segments = segments;
        this.schedulerToken = schedulerToken;
    }

    /**
     * The entries' keys and scopes are checked before (the route's writeTopic policy); here, what they target.
     *
     * @param callers each entry's caller (its own api_key's, or the header key's), as the policy found them
     */
    public List<Alert> toAlerts(List<Map<String, Object>> entries, List<ApiKeys.Caller> callers,
            String scheduleEntry) {
        return toAlerts(entries, callers, scheduleEntry, null);
    }

    /**
     * @param schedulerToken the request's X-Scheduler-Token: an X-Schedule-Entry is taken only with the scheduler's
     *                       own (any write key could otherwise put a schedule entry of its choosing in the lineage)
     */
    public List<Alert> toAlerts(List<Map<String, Object>> entries, List<ApiKeys.Caller> callers,
            String scheduleEntry, String schedulerToken) {
        if (scheduleEntry != null && (this.schedulerToken == null || !this.schedulerToken.matches(schedulerToken))) {
            throw ApiException.forbidden("X-Schedule-Entry is set by the scheduler only");
        }
        if (scheduleEntry != null && !SCHEDULE_ENTRY.matcher(scheduleEntry).matches()) {
            throw ApiException.badRequest("X-Schedule-Entry must be a data collection file's path: 1 to 200 letters, "
                    + "digits, '.', '_', '-' or '/'");
        }
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> entry = entries.get(i);
            String where = "entry " + i + ": ";
            String topic = Names.require("topic", entry.get("topic"));
            @SuppressWarnings("unchecked")
            List<Object> targets = (List<Object>) entry.get("segment_targets");
            List<String> targeted = new ArrayList<>();
            for (Object t : targets) {
                targeted.add(Names.require("segment_targets[]", t));
            }
            if (Alert.ANY_TOPIC.equals(topic)) {
                for (String segment : targeted) {
                    if (segments.topicsWithSegment(segment).isEmpty()) {
                        throw ApiException.notFound(where + "no topic has a segment '" + segment + "'");
                    }
                }
            } else {
                for (String segment : targeted) {
                    if (!segments.segmentExistsRecently(topic, segment)) {
                        if (!topics.topicExists(topic)) {
                            throw ApiException.notFound(where + "topic '" + topic + "' does not exist");
                        }
                        throw ApiException.notFound(where + "segment '" + segment + "' does not exist under topic '"
                                + topic + "'");
                    }
                }
            }
            alerts.add(new Alert(timeOrderedId(), topic, targeted, Instant.now().toString(),
                    callers == null || i >= callers.size() ? null : callers.get(i).id(), scheduleEntry));
        }
        return alerts;
    }

    /**
     * A run id in the layout of a version 7 UUID: 48 bits of milliseconds, then random bits. Runs are stored by id;
     * ids that grow with time land next to each other in the store's index (the embedded store rewrites every index
     * page a write touches, and random ids touch them all), and sort by when they were requested.
     */
    static String timeOrderedId() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        long high = (System.currentTimeMillis() << 16) | 0x7000L | (random.nextLong() & 0x0fffL);
        long low = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** The 202 answer: the runs, one per published alert. */
    public record Accepted(@JsonProperty("accepted") int accepted, @JsonProperty("runs") List<Alert> runs) {
    }

    /** The 202 answer: the run ids, one per published alert. */
    public Accepted accepted(@Variable("alerts") List<Alert> alerts) {
        return new Accepted(alerts.size(), alerts);
    }
}
