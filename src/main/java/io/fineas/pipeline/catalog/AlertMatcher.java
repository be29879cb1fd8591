package io.fineas.pipeline.catalog;

import java.util.List;
import java.util.Map;

/**
 * Matching a processor (its topic and segment) against an alert from the gateway: the alert targets the processor
 * when its segment is among the alert's segment_targets and the alert's topic is the processor's topic, or "alert"
 * (the design's "any topic").
 */
public final class AlertMatcher {

    public static final String ANY_TOPIC = "alert";

    private AlertMatcher() {
    }

    public static boolean matches(String topic, String segment, Map<String, Object> alert) {
        Object alertTopic = alert.get("topic");
        Object targets = alert.get("segment_targets");
        return (topic.equals(alertTopic) || ANY_TOPIC.equals(alertTopic))
                && targets instanceof List<?> list && list.contains(segment);
    }
}
