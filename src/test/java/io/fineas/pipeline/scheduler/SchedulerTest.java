package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler route against the real gateway (same application), the real Kafka alert topic and real Redis; ticks
 * are driven by hand and time by a controllable clock.
 */
class SchedulerTest extends SchedulerTestSupport {

    private String topic;

    @Override
    protected String roles() {
        return "gateway,scheduler";
    }

    @Override
    protected String gatewayUrl() {
        return "http://127.0.0.1:" + ids().port();
    }

    /** A topic with the segments, and one data collection file per segment targeting it. */
    private void collections(String... segments) throws IOException {
        if (topic == null) {
            topic = uniqueName("sched");
            createTopic(topic);
        }
        for (String s : segments) {
            createSegment(topic, s);
            Files.writeString(dir().resolve(s + ".json"),
                    toJson(List.of(Map.of("topic", topic, "segment_targets", List.of(s)))));
        }
    }

    private void schedule(String json) throws IOException {
        Path file = dir().resolve("schedule.json");
        FileTime before = Files.exists(file) ? Files.getLastModifiedTime(file) : FileTime.fromMillis(0);
        Files.writeString(file, json);
        // a rewrite within the file system's timestamp granularity must still be seen as a change
        Files.setLastModifiedTime(file, FileTime.fromMillis(Math.max(System.currentTimeMillis(),
                before.toMillis() + 1000)));
    }

    private long alertsFor(String segment) {
        return readAll(alertTopic(), Duration.ofMillis(400)).stream()
                .map(r -> parse(r.value()))
                .filter(a -> ((List<?>) a.get("segment_targets")).contains(segment)).count();
    }

    /**
     * A scheduler without a key of its own (a gateway's process whose admin key was generated at the first start: the
     * embedded default, Akash) proves itself with its token: its collections are accepted as the scheduler's, and the
     * token opens nothing else. Before, every scheduled call of such a process was refused 401.
     */
    @Test
    void theSchedulersTokenStandsForAKeyOnCollectOnly() throws IOException {
        collections("by-token");
        String token = context.getRegistry().lookupByNameAndType("schedulerToken",
                io.fineas.pipeline.common.SchedulerToken.class).value();
        String body = toJson(List.of(Map.of("topic", topic, "segment_targets", List.of("by-token"))));
        long before = alertsFor("by-token");
        assertThat(post("/collect", body, "X-Scheduler-Token", "0".repeat(64)).status()).isEqualTo(401);
        assertThat(post("/collect", body).status()).isEqualTo(401);
        assertThat(alertsFor("by-token")).isEqualTo(before);

        Response accepted = post("/collect", body, "X-Scheduler-Token", token, "X-Schedule-Entry", "by-token.json");
        assertThat(accepted.status()).isEqualTo(202);
        Map<String, Object> alert = readAll(alertTopic(), Duration.ofMillis(400)).stream().map(r -> parse(r.value()))
                .filter(a -> ((List<?>) a.get("segment_targets")).contains("by-token")).findFirst().orElseThrow();
        assertThat(alert).containsEntry("requested_by", "scheduler").containsEntry("schedule_entry", "by-token.json");

        // nothing but a collection: a topic is neither created nor deleted with it
        String other = uniqueName("sched");
        assertThat(post("/topics", Map.of("topic", other, "topic_action", "create"), "X-Scheduler-Token", token)
                .status()).isEqualTo(401);
        assertThat(post("/topics", Map.of("topic", topic, "topic_action", "delete"), "X-Scheduler-Token", token)
                .status()).isEqualTo(401);
        assertThat(get("/topics/" + topic + "/segments", "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
        assertThat(get("/topics/" + other + "/segments", "X-API-Key", ADMIN_KEY).status()).isEqualTo(404);
        assertThat(get("/runs", "X-Scheduler-Token", token).status()).isEqualTo(401);
    }

    @Test
    void getScheduleShowsEachEntrysLastAndNextCallAndOutcome() throws IOException {
        collections("shown", "shown-weekly");
        schedule("""
                [{"data_collection_file_path": "shown.json", "schedule": 2},
                 {"data_collection_file_path": "shown-weekly.json", "cron": "0 0 6 ? * MON"},
                 {"data_collection_file_path": "missing-pattern.json"}]""");
        assertThat(get("/schedule").status()).isEqualTo(401);
        // the schedule names the collections of every topic: a key of one topic may not read it
        String topic = uniqueName("sched");
        createTopic(topic);
        String oneTopic = (String) post("/keys", Map.of("name", "one topic", "scopes", List.of("read:" + topic)),
                "X-API-Key", ADMIN_KEY).json().get("api_key");
        assertThat(get("/schedule", "X-API-Key", oneTopic).status()).isEqualTo(403);

        Map<String, Object> before = get("/schedule", "X-API-Key", ADMIN_KEY).json();
        List<Map<String, Object>> entries = (List<Map<String, Object>>) before.get("entries");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(0)).containsEntry("data_collection_file_path", "shown.json")
                .containsEntry("schedule", 2.0).containsEntry("last_call", null).containsEntry("next_call", null);
        assertThat(entries.get(1)).containsEntry("cron", "0 0 6 ? * MON");
        assertThat((List<Map<String, Object>>) before.get("skipped")).singleElement()
                .satisfies(p -> assertThat((String) p.get("reason")).contains("exactly one of 'schedule'"));
        assertThat((String) before.get("state")).startsWith("Redis at");

        tick();
        Map<String, Object> after = ((List<Map<String, Object>>) get("/schedule", "X-API-Key", ADMIN_KEY).json()
                .get("entries")).get(0);
        assertThat(after).containsEntry("last_call", clock.instant().toString())
                .containsEntry("next_call", clock.instant().plus(Duration.ofDays(2)).toString())
                .containsEntry("last_outcome", "accepted");
        // the run names the entry that asked for it (lineage: key id and schedule entry)
        Map<String, Object> alert = readAll(alertTopic(), Duration.ofMillis(400)).stream().map(r -> parse(r.value()))
                .filter(a -> ((List<?>) a.get("segment_targets")).contains("shown")).findFirst().orElseThrow();
        assertThat(alert).containsEntry("schedule_entry", "shown.json").containsKey("requested_by");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/runs/"
                + alert.get("run_id"), "X-API-Key", ADMIN_KEY).json()).containsEntry("schedule_entry", "shown.json"));
    }

    @Test
    void firesEveryEntryOnceAtStartThenEachAfterItsPeriod() throws IOException {
        collections("daily", "twice-daily");
        schedule("""
                [{"data_collection_file_path": "daily.json", "schedule": 1},
                 {"data_collection_file_path": "twice-daily.json", "schedule": 0.5}]""");

        tick();
        assertThat(alertsFor("daily")).isEqualTo(1);
        assertThat(alertsFor("twice-daily")).isEqualTo(1);

        tick(); // same instant: nothing is due
        clock.advance(Duration.ofHours(11));
        tick();
        assertThat(alertsFor("daily")).isEqualTo(1);
        assertThat(alertsFor("twice-daily")).isEqualTo(1);

        clock.advance(Duration.ofHours(2)); // 13 h
        tick();
        assertThat(alertsFor("daily")).isEqualTo(1);
        assertThat(alertsFor("twice-daily")).isEqualTo(2);

        clock.advance(Duration.ofHours(11).plusMinutes(1)); // 24 h 1 min: daily is due, twice-daily (last 13 h) not
        tick();
        assertThat(alertsFor("daily")).isEqualTo(2);
        assertThat(alertsFor("twice-daily")).isEqualTo(2);
        assertThat(book().state().lastCall("daily.json")).isEqualTo(clock.instant());
    }

    /**
     * The gateway's answer lost (the scheduler never recorded the call, as when the 202 does not reach it): the next
     * tick posts the same slot again with the same Idempotency-Key, and no second run is published (one was before).
     */
    @Test
    void aSlotPostedAgainAfterALostAnswerFiresNothingTwice() throws IOException {
        collections("lost");
        schedule("""
                [{"data_collection_file_path": "lost.json", "schedule": 1}]""");
        tick();
        assertThat(alertsFor("lost")).isEqualTo(1);

        book().state().reset(); // the call was never recorded
        tick();

        assertThat(alertsFor("lost")).isEqualTo(1);
        assertThat(book().state().lastCall("lost.json")).as("the slot counts as done").isNotNull();
    }

    @Test
    void cronEntriesFireAtTheirNextTime() throws IOException {
        collections("morning");
        schedule("""
                [{"data_collection_file_path": "morning.json", "cron": "0 0 6 * * ?"}]""");

        tick(); // never called: fires
        assertThat(alertsFor("morning")).isEqualTo(1);
        clock.advance(Duration.ofHours(5)); // 05:00 of the first day
        tick();
        assertThat(alertsFor("morning")).isEqualTo(1);
        clock.advance(Duration.ofHours(1).plusSeconds(1)); // 06:00:01
        tick();
        assertThat(alertsFor("morning")).isEqualTo(2);
    }

    @Test
    void malformedEntriesAreReportedAndSkippedWhileTheOthersRun() throws IOException {
        collections("healthy");
        schedule("""
                [{"schedule": 1},
                 {"data_collection_file_path": "healthy.json", "schedule": 1},
                 {"data_collection_file_path": "healthy.json", "schedule": -2},
                 {"data_collection_file_path": "absent.json", "schedule": 1},
                 {"data_collection_file_path": "healthy.json", "cron": "every tuesday"},
                 {"data_collection_file_path": "healthy.json"},
                 "not an object"]""");

        tick();

        assertThat(alertsFor("healthy")).isEqualTo(1);
        List<ScheduleFile.Problem> problems = book().problems();
        assertThat(problems).extracting(ScheduleFile.Problem::entry).containsExactlyInAnyOrder(0, 2, 3, 4, 5, 6);
        assertThat(problems).allSatisfy(p -> assertThat(p.reason()).isNotBlank());
        assertThat(problems).anySatisfy(p -> {
            assertThat(p.entry()).isEqualTo(3);
            assertThat(p.reason()).contains("does not exist");
            assertThat(p.kind()).isEqualTo("runtime");
        });
        assertThat(problems).anySatisfy(p -> {
            assertThat(p.entry()).isEqualTo(4);
            assertThat(p.reason()).contains("cron");
        });
    }

    @Test
    void theScheduleFileIsReReadWhenItChanges() throws IOException {
        collections("first", "second");
        schedule("""
                [{"data_collection_file_path": "first.json", "schedule": 1}]""");
        tick();
        assertThat(alertsFor("first")).isEqualTo(1);
        assertThat(alertsFor("second")).isZero();

        schedule("""
                [{"data_collection_file_path": "first.json", "schedule": 1},
                 {"data_collection_file_path": "second.json", "schedule": 1}]""");
        tick();
        assertThat(alertsFor("first")).isEqualTo(1);
        assertThat(alertsFor("second")).isEqualTo(1);
    }

    @Test
    void concurrentTicksFireADueEntryOnce() throws Exception {
        collections("contended");
        schedule("""
                [{"data_collection_file_path": "contended.json", "schedule": 1}]""");
        book();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        CountDownLatch go = new CountDownLatch(1);
        for (int i = 0; i < 4; i++) {
            pool.submit(() -> {
                go.await();
                template.sendBody("direct:scheduler-tick", null);
                return null;
            });
        }
        go.countDown();
        pool.shutdown();
        assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        assertThat(alertsFor("contended")).isEqualTo(1);
    }
}
