package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every class of malformed or unauthorised request answers 4xx with {"error","detail"} and changes nothing: the Kafka
 * topics, the Mongo collections and the alert topic are the same before and after.
 */
class BadInputTest extends PipelineTestSupport {

    private static final String TOPIC = "existing";
    private static final String SEGMENT = "present";
    private Set<String> topicsBefore;
    private Set<String> collectionsBefore;

    @BeforeEach
    void existingState() {
        if (topicsBefore != null) {
            return;
        }
        createTopic(TOPIC);
        createSegment(TOPIC, SEGMENT);
        topicsBefore = kafkaTopics();
        collectionsBefore = mongoCollections(dataDatabase());
    }

    static Stream<Arguments> badRequests() {
        String key = ADMIN_KEY;
        String longName = "a".repeat(101);
        String oversize = "{\"api_key\":\"" + key + "\",\"topic\":\"" + "x".repeat(1_100_000) + "\",\"topic_action\":\"create\"}";
        return Stream.of(
                arguments("invalid JSON", "/topics", "{\"api_key\": \"" + key + "\", \"topic\": ", 400),
                arguments("empty body", "/topics", "", 400),
                arguments("JSON array instead of object", "/topics", "[1,2]", 400),
                arguments("wrong type of topic", "/topics", json(Map.of("api_key", key, "topic", 42, "topic_action", "create")), 400),
                arguments("missing topic", "/topics", json(Map.of("api_key", key, "topic_action", "create")), 400),
                arguments("missing action", "/topics", json(Map.of("api_key", key, "topic", "fresh")), 400),
                arguments("unknown action", "/topics", json(Map.of("api_key", key, "topic", "fresh", "topic_action", "drop")), 400),
                arguments("unknown field", "/topics", json(Map.of("api_key", key, "topic", "fresh", "topic_action", "create", "x", 1)), 400),
                arguments("missing key", "/topics", json(Map.of("topic", "fresh", "topic_action", "create")), 401),
                arguments("wrong key", "/topics", json(Map.of("api_key", "nope", "topic", "fresh", "topic_action", "create")), 401),
                arguments("key as an object", "/topics", json(Map.of("api_key", Map.of("$gt", ""), "topic", "fresh", "topic_action", "create")), 400),
                arguments("upper case name", "/topics", json(Map.of("api_key", key, "topic", "Fresh", "topic_action", "create")), 400),
                arguments("dot in name (collides with _ in Kafka)", "/topics", json(Map.of("api_key", key, "topic", "a.b", "topic_action", "create")), 400),
                arguments("dollar in name", "/topics", json(Map.of("api_key", key, "topic", "a$b", "topic_action", "create")), 400),
                arguments("system. prefix", "/topics", json(Map.of("api_key", key, "topic", "system.users", "topic_action", "create")), 400),
                arguments("Kafka internal __ prefix", "/topics", json(Map.of("api_key", key, "topic", "__consumer_offsets", "topic_action", "create")), 400),
                arguments("NUL in name", "/topics", json(Map.of("api_key", key, "topic", "a\u0000b", "topic_action", "create")), 400),
                arguments("name too long", "/topics", json(Map.of("api_key", key, "topic", longName, "topic_action", "create")), 400),
                arguments("empty name", "/topics", json(Map.of("api_key", key, "topic", "", "topic_action", "create")), 400),
                arguments("body over the size limit", "/topics", oversize, 413),
                arguments("segment under unknown topic", "/segments", json(Map.of("api_key", key, "topic", "absent", "segment", "s", "segment_action", "create")), 404),
                arguments("bad segment name", "/segments", json(Map.of("api_key", key, "topic", TOPIC, "segment", "Bad Name", "segment_action", "create")), 400),
                arguments("segment wrong key", "/segments", json(Map.of("api_key", "nope", "topic", TOPIC, "segment", "s2", "segment_action", "create")), 401),
                arguments("collect not an array", "/collect", json(Map.of("api_key", key, "topic", TOPIC, "segment_targets", List.of(SEGMENT))), 400),
                arguments("collect empty array", "/collect", "[]", 400),
                arguments("collect missing targets", "/collect", json(List.of(Map.of("api_key", key, "topic", TOPIC))), 400),
                arguments("collect targets not strings", "/collect", json(List.of(Map.of("api_key", key, "topic", TOPIC, "segment_targets", List.of(1)))), 400),
                arguments("collect unknown topic", "/collect", json(List.of(Map.of("api_key", key, "topic", "absent", "segment_targets", List.of(SEGMENT)))), 404),
                arguments("collect unknown segment", "/collect", json(List.of(Map.of("api_key", key, "topic", TOPIC, "segment_targets", List.of("absent")))), 404),
                arguments("collect one bad entry among good ones", "/collect", json(List.of(
                        Map.of("api_key", key, "topic", TOPIC, "segment_targets", List.of(SEGMENT)),
                        Map.of("api_key", key, "topic", TOPIC, "segment_targets", List.of("absent")))), 404),
                arguments("collect wrong key", "/collect", json(List.of(Map.of("api_key", "nope", "topic", TOPIC, "segment_targets", List.of(SEGMENT)))), 401),
                arguments("collect key as object", "/collect", json(List.of(Map.of("api_key", Map.of("$ne", "x"), "topic", TOPIC, "segment_targets", List.of(SEGMENT)))), 400),
                arguments("key request without scopes", "/keys", json(Map.of("api_key", key, "name", "k")), 400),
                arguments("key request with a bad scope", "/keys", json(Map.of("api_key", key, "name", "k", "scopes", List.of("root"))), 400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void refusedWithJsonErrorAndNothingChanged(String what, String path, String body, int status) {
        Response r = post(path, body);

        assertThat(r.status()).as(what + ": " + r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        Map<String, Object> error = r.json();
        assertThat(error.get("error")).isInstanceOf(String.class);
        assertThat((String) error.get("detail")).isNotBlank();
        assertThat(r.body()).doesNotContain(ADMIN_KEY);
        assertThat(kafkaTopics()).isEqualTo(topicsBefore);
        assertThat(mongoCollections(dataDatabase())).isEqualTo(collectionsBefore);
    }

    @AfterAll
    void noAlertWasPublished() {
        assertThat(readAll(alertTopic(), Duration.ofSeconds(1))).isEmpty();
    }

    private static String json(Object o) {
        return toJson(o);
    }
}
