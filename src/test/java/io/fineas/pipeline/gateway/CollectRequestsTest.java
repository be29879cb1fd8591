package io.fineas.pipeline.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.SchedulerToken;
import io.fineas.pipeline.messages.Alert;
import io.fineas.pipeline.support.SharedStores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A Data Collection JSON made alerts, without an application (the topics in the shared broker and Mongo wire
 * server): every entry checked before any alert is made, "alert" for every topic that has the segments, run ids that
 * sort by when they were requested.
 */
@ExtendWith(SharedStores.class)
class CollectRequestsTest {

    private CollectRequests requests;
    private TopicRegistry topics;
    private Segments segments;

    @BeforeEach
    void topics() {
        SharedStores.Catalog catalog = SharedStores.freshCatalog("collect");
        topics = catalog.topics();
        segments = catalog.segments();
        topics.createTopic("finance");
        topics.createTopic("energy");
        segments.createSegment("finance", "news");
        segments.createSegment("finance", "quotes");
        segments.createSegment("energy", "news");
        requests = new CollectRequests(topics, segments);
    }

    @SafeVarargs
    private static List<Map<String, Object>> entries(Map<String, Object>... entries) {
        return List.of(entries);
    }

    @Test
    void eachEntryIsOneAlertWithoutItsKey() {
        List<Alert> alerts = requests.toAlerts(entries(
                Map.of("api_key", "fpk_secret", "topic", "finance", "segment_targets", List.of("news", "quotes")),
                Map.of("topic", "alert", "segment_targets", List.of("news"))), List.of(
                new ApiKeys.Caller("key_entry0", "writer", List.of("write:finance")),
                new ApiKeys.Caller("key_header", "admin", List.of("admin"))), null);

        assertThat(alerts).extracting(Alert::topic).containsExactly("finance", "alert");
        // who asked each: the id of its entry's key, never the key
        assertThat(alerts).extracting(Alert::requestedBy).containsExactly("key_entry0", "key_header");
        assertThat(alerts.get(0).segmentTargets()).containsExactly("news", "quotes");
        assertThat(alerts).allSatisfy(a -> {
            assertThat(a.runId()).isNotBlank();
            assertThat(a.requested()).isNotNull();
        });
        assertThat(requests.accepted(alerts).accepted()).isEqualTo(2);
        assertThat(alerts.toString()).doesNotContain("fpk_secret");
        assertThat(alerts).extracting(Alert::scheduleEntry).containsOnlyNulls();
    }

    @Test
    void aScheduledRunNamesItsEntryAndAnEntryNameThatIsNotAPathIsRefused() {
        SchedulerToken token = SchedulerToken.of("the-scheduler-token", null);
        CollectRequests scheduled = new CollectRequests(topics, segments, token);
        List<Alert> alerts = scheduled.toAlerts(entries(Map.of("topic", "finance", "segment_targets",
                List.of("news"))), null, "collections/daily-news.json", token.value());
        assertThat(alerts).extracting(Alert::scheduleEntry).containsExactly("collections/daily-news.json");
        for (String bad : List.of("", "x".repeat(201), "a b.json", "daily\nX-Injected: 1", "caf\u00e9.json")) {
            assertThat(catchThrowableOfType(ApiException.class, () -> scheduled.toAlerts(entries(Map.of("topic",
                    "finance", "segment_targets", List.of("news"))), null, bad, token.value())).getStatus()).as(bad)
                    .isEqualTo(400);
        }
        // only the scheduler may name an entry: without its token, with another, or where none is known, 403
        for (String presented : java.util.Arrays.asList(null, "", "the-scheduler-tokem")) {
            assertThat(catchThrowableOfType(ApiException.class, () -> scheduled.toAlerts(entries(Map.of("topic",
                    "finance", "segment_targets", List.of("news"))), null, "daily.json", presented)).getStatus())
                    .as(String.valueOf(presented)).isEqualTo(403);
        }
        assertThat(catchThrowableOfType(ApiException.class, () -> requests.toAlerts(entries(Map.of("topic",
                "finance", "segment_targets", List.of("news"))), null, "daily.json")).getStatus()).isEqualTo(403);
        // the token of a deployment is the same for every replica (derived from the admin key), else this process's
        assertThat(SchedulerToken.of(null, "k".repeat(40)).value()).isEqualTo(SchedulerToken.of("", "k".repeat(40))
                .value()).isNotEqualTo(SchedulerToken.of(null, "j".repeat(40)).value());
    }

    @Test
    void oneBadEntryRefusesTheWholeRequestNamingIt() {
        ApiException noSegment = catchThrowableOfType(ApiException.class, () -> requests.toAlerts(entries(
                Map.of("topic", "finance", "segment_targets", List.of("news")),
                Map.of("topic", "energy", "segment_targets", List.of("quotes"))), null, null));
        assertThat(noSegment.getStatus()).isEqualTo(404);
        assertThat(noSegment.getMessage()).startsWith("entry 1: ").contains("segment 'quotes'");

        ApiException noTopic = catchThrowableOfType(ApiException.class, () -> requests.toAlerts(entries(
                Map.of("topic", "water", "segment_targets", List.of("news"))), null, null));
        assertThat(noTopic.getMessage()).isEqualTo("entry 0: topic 'water' does not exist");

        ApiException nowhere = catchThrowableOfType(ApiException.class, () -> requests.toAlerts(entries(
                Map.of("topic", "alert", "segment_targets", List.of("filings"))), null, null));
        assertThat(nowhere.getMessage()).contains("no topic has a segment 'filings'");

        ApiException badName = catchThrowableOfType(ApiException.class, () -> requests.toAlerts(entries(
                Map.of("topic", "finance", "segment_targets", List.of("News!"))), null, null));
        assertThat(badName.getStatus()).isEqualTo(400);
    }

    @Test
    void runIdsAreVersion7UuidsThatSortByTime() {
        long before = System.currentTimeMillis();
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(UUID.fromString(CollectRequests.timeOrderedId()));
        }
        long after = System.currentTimeMillis();
        assertThat(ids).doesNotHaveDuplicates().allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
            assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
        });
        // their leading 48 bits are the milliseconds: ids made later sort after (string order is the same)
        assertThat(ids.stream().map(id -> id.getMostSignificantBits() >>> 16).toList()).isSorted();
    }
}
