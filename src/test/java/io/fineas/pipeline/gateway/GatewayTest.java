package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The gateway end to end: real HTTP into the routes, real Kafka topics and records, real Mongo collections. */
class GatewayTest extends PipelineTestSupport {

    @Override
    protected void overrideProperties(java.util.Properties p) {
        p.put("pipeline.chat.timeout-ms", "3000");
        p.put("pipeline.kafka.chat-request-topic", "chat-requests-" + ids().suffix());
        p.put("pipeline.kafka.chat-reply-topic", "chat-replies-" + ids().suffix());
    }

    @Test
    void chatWaitsForItsOwnReplyOnKafkaAndIgnoresOthers() throws Exception {
        var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> post("/chat",
                Map.of("question", "What moved the market?", "session_id", "s1"), "X-API-Key", ADMIN_KEY));
        // the question is on the chatbot topic, with a correlation id and without any key
        ConsumerRecord<String, String> question = await().atMost(Duration.ofSeconds(10)).until(() ->
                readAll("chat-requests-" + ids().suffix(), Duration.ofMillis(200)).stream()
                        .filter(r -> r.value().contains("What moved the market?")).findFirst().orElse(null),
                java.util.Objects::nonNull);
        assertThat(question.value()).doesNotContain(ADMIN_KEY);
        String correlationId = (String) parse(question.value()).get("correlation_id");

        // a reply meant for another gateway instance, then this one's (as the chat service would publish them)
        publish("chat-replies-" + ids().suffix(), "x", toJson(Map.of("correlation_id", "someone-else",
                "answer", "not yours", "sources", List.of(), "model", "m")));
        publish("chat-replies-" + ids().suffix(), "y", toJson(Map.of("correlation_id", correlationId,
                "answer", "Rates held steady [1]", "sources", List.of(Map.of("topic", "t", "source", "s")),
                "model", "m")));

        Response r = answer.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json()).containsEntry("answer", "Rates held steady [1]").containsEntry("model", "m")
                .doesNotContainKey("correlation_id");
    }

    @Test
    void chatWithoutAnAnswerInTimeIs504() {
        Response r = post("/chat", Map.of("question", "Anyone there?"), "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).isEqualTo(504);
        assertThat(r.json()).containsEntry("error", "timeout");
    }

    @Test
    void topicCreateMakesKafkaTopicAndCollectionAndIsListed() {
        String topic = uniqueName("finance");

        Response r = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "create"));

        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json()).containsEntry("topic", topic).containsEntry("kafka_topic", dataTopic(topic));
        assertThat(kafkaTopics()).contains(dataTopic(topic));
        assertThat(mongoCollections(dataDatabase())).contains(topic);
        List<Map<String, Object>> listed = (List<Map<String, Object>>) get("/topics", "X-API-Key", ADMIN_KEY).json()
                .get("topics");
        assertThat(listed).extracting(t -> t.get("topic")).contains(topic);
    }

    @Test
    void creatingAnExistingTopicIsAConflictAndDeletingAMissingOneIsNotFound() {
        String topic = uniqueName("dup");
        createTopic(topic);

        Response again = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "create"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json()).containsEntry("error", "conflict");
        assertThat(kafkaTopics()).contains(dataTopic(topic));

        Response missing = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", uniqueName("nothing"),
                "topic_action", "delete"));
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json()).containsEntry("error", "not_found");
    }

    @Test
    void segmentsAreCreatedListedAndDeleted() {
        String topic = uniqueName("health");
        createTopic(topic);

        Response created = post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "conditions",
                "segment_action", "create"));
        assertThat(created.status()).isEqualTo(201);
        assertThat(mongo().getDatabase(dataDatabase()).getCollection(topic)
                .find(new Document("kind", "segment").append("segment", "conditions")).first()).isNotNull();
        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "conditions",
                "segment_action", "create")).status()).isEqualTo(409);

        List<Map<String, Object>> segments = (List<Map<String, Object>>) get("/topics/" + topic + "/segments",
                "X-API-Key", ADMIN_KEY).json().get("segments");
        assertThat(segments).extracting(s -> s.get("segment")).containsExactly("conditions");

        // records stored for the segment (as the RAG stage stores inferences) are paged newest first, and go with it
        for (int i = 1; i <= 3; i++) {
            mongo().getDatabase(dataDatabase()).getCollection(topic).insertOne(new Document("kind", "inference")
                    .append("segment", "conditions").append("text", "x" + i)
                    .append("created_at", "2026-11-25T10:00:0" + i + "Z"));
        }
        String inferences = "/topics/" + topic + "/segments/conditions/inferences";
        assertThat((List<Map<String, Object>>) get(inferences + "?page=1&size=2", "X-API-Key", ADMIN_KEY).json()
                .get("inferences")).extracting(m -> m.get("text")).containsExactly("x3", "x2");
        assertThat((List<Map<String, Object>>) get(inferences + "?page=2&size=2", "X-API-Key", ADMIN_KEY).json()
                .get("inferences")).extracting(m -> m.get("text")).containsExactly("x1");
        assertThat(get(inferences + "?page=10000&size=100", "X-API-Key", ADMIN_KEY).json().get("inferences"))
                .asList().isEmpty();
        for (String bad : List.of("?page=2147483647", "?page=10001", "?page=0", "?size=101", "?page=x")) {
            Response refused = get(inferences + bad, "X-API-Key", ADMIN_KEY);
            assertThat(refused.status()).as(bad).isEqualTo(400);
            assertThat(refused.json()).containsEntry("error", "invalid_request");
        }
        Response deleted = post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "conditions",
                "segment_action", "delete"));
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json()).containsEntry("records_deleted", 3);
        assertThat(mongo().getDatabase(dataDatabase()).getCollection(topic).countDocuments()).isZero();
        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "conditions",
                "segment_action", "delete")).status()).isEqualTo(404);
        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", uniqueName("none"), "segment", "x",
                "segment_action", "create")).status()).isEqualTo(404);
    }

    @Test
    void topicDeleteCascadesToKafkaTopicCollectionAndAllSegmentData() {
        String topic = uniqueName("school");
        createTopic(topic);
        createSegment(topic, "notes");
        createSegment(topic, "grades");
        mongo().getDatabase(dataDatabase()).getCollection(topic)
                .insertOne(new Document("kind", "inference").append("segment", "notes").append("text", "y"));

        Response r = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "delete"));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json()).containsEntry("segments_deleted", 2).containsEntry("documents_deleted", 3);
        assertThat(kafkaTopics()).doesNotContain(dataTopic(topic));
        assertThat(mongoCollections(dataDatabase())).doesNotContain(topic);
        assertThat(get("/topics/" + topic + "/segments", "X-API-Key", ADMIN_KEY).status()).isEqualTo(404);
        // and it can be created again at once, empty
        createTopic(topic);
        assertThat(mongo().getDatabase(dataDatabase()).getCollection(topic).countDocuments()).isZero();
    }

    @Test
    void aTopicDeleteACrashInterruptedIsFinishedAtStartWithItsDeletionEvent() {
        String topic = uniqueName("halfgone");
        createTopic(topic);
        createSegment(topic, "notes");
        // as a crash leaves it in the middle of a delete: marked deleting, data still there, no event published
        mongo().getDatabase(ids().systemDatabase()).getCollection("topics").updateOne(
                com.mongodb.client.model.Filters.eq("_id", topic),
                com.mongodb.client.model.Updates.set("status", "deleting"));

        template.sendBody("direct:recover-topic-deletions", null);

        assertThat(kafkaTopics()).doesNotContain(dataTopic(topic));
        assertThat(mongoCollections(dataDatabase())).doesNotContain(topic);
        assertThat(mongo().getDatabase(ids().systemDatabase()).getCollection("topics")
                .countDocuments(com.mongodb.client.model.Filters.eq("_id", topic))).isZero();
        assertThat(readAll("events-" + ids().suffix(), java.time.Duration.ofMillis(300)))
                .extracting(r -> parse(r.value()))
                .anySatisfy(e -> assertThat(e).containsEntry("event", "topic_deleted").containsEntry("topic", topic));
        // and it can be created again
        createTopic(topic);
    }

    @Test
    void collectPublishesEachEntryToAlertWithoutTheApiKey() {
        String topic = uniqueName("markets");
        createTopic(topic);
        createSegment(topic, "company-news");
        createSegment(topic, "quotes");

        Response r = post("/collect", List.of(Map.of("api_key", ADMIN_KEY, "topic", topic,
                "segment_targets", List.of("company-news", "quotes"))), "X-API-Key", ADMIN_KEY);

        assertThat(r.status()).isEqualTo(202);
        List<Map<String, Object>> runs = (List<Map<String, Object>>) r.json().get("runs");
        assertThat(runs).hasSize(1);
        String runId = (String) runs.get(0).get("run_id");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<ConsumerRecord<String, String>> records = readAll(alertTopic(), Duration.ofMillis(300));
            ConsumerRecord<String, String> alert = records.stream().filter(rec -> rec.value().contains(runId))
                    .findFirst().orElseThrow();
            assertThat(alert.value()).doesNotContain(ADMIN_KEY).doesNotContain("api_key");
            for (Header h : alert.headers()) {
                assertThat(new String(h.value())).doesNotContain(ADMIN_KEY);
                assertThat(h.key().toLowerCase()).doesNotContain("api-key");
            }
            Map<String, Object> body = parse(alert.value());
            assertThat(body).containsEntry("topic", topic).containsEntry("run_id", runId)
                    .containsEntry("segment_targets", List.of("company-news", "quotes")).containsKey("requested_at");
            assertThat(alert.key()).isEqualTo(runId);
        });
    }

    @Test
    void collectWithTopicAlertTargetsSegmentsUnderAnyTopic() {
        String topic = uniqueName("anywhere");
        String segment = uniqueName("seg");
        createTopic(topic);
        createSegment(topic, segment);

        Response ok = post("/collect", List.of(Map.of("api_key", ADMIN_KEY, "topic", "alert",
                "segment_targets", List.of(segment))));
        assertThat(ok.status()).isEqualTo(202);

        Response unknown = post("/collect", List.of(Map.of("api_key", ADMIN_KEY, "topic", "alert",
                "segment_targets", List.of(uniqueName("nowhere")))));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("detail").toString()).contains("no topic has a segment");
    }

    @Test
    void responsesNeverEchoTheApiKeyHeader() {
        Response r = get("/topics", "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.headers().toString()).doesNotContain(ADMIN_KEY);
    }

    @Test
    void unknownEndpointsAnswerJson() {
        Response r = get("/no-such-thing");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json()).containsEntry("error", "not_found");
        assertThat(send(java.net.http.HttpRequest.newBuilder(uri("/topics"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{}"))).json()).containsKey("detail");
    }

    @Test
    void corsAllowsOnlyConfiguredOrigins() {
        Response allowed = send(java.net.http.HttpRequest.newBuilder(uri("/topics"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()),
                "Origin", "http://localhost:8080", "Access-Control-Request-Method", "POST");
        assertThat(allowed.status()).isLessThan(300);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo("http://localhost:8080");

        Response refused = send(java.net.http.HttpRequest.newBuilder(uri("/topics"))
                .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody()),
                "Origin", "http://evil.example", "Access-Control-Request-Method", "POST");
        assertThat(refused.header("Access-Control-Allow-Origin")).isNull();
        assertThat(refused.status()).isEqualTo(403);
    }

    /**
     * POST /collect with an Idempotency-Key: a repeat (a lost answer, the scheduler's next tick) answers the first
     * runs and publishes nothing; the key with another body is refused and publishes nothing; another caller's use
     * of the same key is its own request. Before, each repeat published a new run.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aRepeatedIdempotencyKeyAnswersTheFirstRunsAndPublishesNothing() throws Exception {
        String topic = uniqueName("idem");
        createTopic(topic);
        createSegment(topic, "news");
        List<Map<String, Object>> body = List.of(Map.of("topic", topic, "segment_targets", List.of("news")));
        long before = io.fineas.pipeline.support.KafkaRecords.endOffset(admin(), alertTopic());

        Response first = post("/collect", body, "X-API-Key", ADMIN_KEY, "Idempotency-Key", "entry-a@slot-1");
        Response again = post("/collect", body, "X-API-Key", ADMIN_KEY, "Idempotency-Key", "entry-a@slot-1");

        assertThat(first.status()).as(first.body()).isEqualTo(202);
        assertThat(again.status()).as(again.body()).isEqualTo(202);
        String run = (String) ((List<Map<String, Object>>) first.json().get("runs")).get(0).get("run_id");
        assertThat(((List<Map<String, Object>>) again.json().get("runs")).get(0)).containsEntry("run_id", run);
        Response other = post("/collect", List.of(Map.of("topic", topic, "segment_targets", List.of("news"),
                "extra", 1)), "X-API-Key", ADMIN_KEY, "Idempotency-Key", "entry-a@slot-1");
        assertThat(other.status()).as(other.body()).isIn(400, 422);
        Response reused = post("/collect", List.of(Map.of("topic", "alert", "segment_targets", List.of("news"))),
                "X-API-Key", ADMIN_KEY, "Idempotency-Key", "entry-a@slot-1");
        assertThat(reused.status()).as(reused.body()).isEqualTo(422);
        assertThat(reused.json()).containsEntry("error", "idempotency_key_reused");
        assertThat(io.fineas.pipeline.support.KafkaRecords.endOffset(admin(), alertTopic()) - before)
                .as("alerts published").isEqualTo(1);

        Response next = post("/collect", body, "X-API-Key", ADMIN_KEY, "Idempotency-Key", "entry-a@slot-2");
        assertThat(((List<Map<String, Object>>) next.json().get("runs")).get(0).get("run_id")).isNotEqualTo(run);
        assertThat(post("/collect", body, "X-API-Key", ADMIN_KEY, "Idempotency-Key", "bad key").status())
                .isEqualTo(400);
        assertThat(io.fineas.pipeline.support.KafkaRecords.endOffset(admin(), alertTopic()) - before).isEqualTo(2);
    }

    /** A claim written down but not all published (a crash half way) publishes the same runs again, then none. */
    @Test
    void aRepeatAfterAPartialPublishPublishesTheSameRunsAgain() {
        var requests = mongo().getDatabase(ids().systemDatabase()).getCollection("idem-" + uniqueName("c"));
        IdempotentCollects collects = new IdempotentCollects(requests, Duration.ofHours(24));
        ApiKeys.Caller caller = new ApiKeys.Caller("key_x", "x", List.of("admin"));
        List<Map<String, Object>> entries = List.of(Map.of("topic", "t", "segment_targets", List.of("s")));
        io.fineas.pipeline.messages.Alert alert = new io.fineas.pipeline.messages.Alert("run-1", "t", List.of("s"),
                "2026-12-02T10:00:00Z", "key_x", null);
        io.fineas.pipeline.messages.Alert later = new io.fineas.pipeline.messages.Alert("run-2", "t", List.of("s"),
                "2026-12-02T10:01:00Z", "key_x", null);

        IdempotentCollects.Claim first = collects.claim("k", caller, entries, List.of(alert));
        IdempotentCollects.Claim afterCrash = collects.claim("k", caller, entries, List.of(later));
        assertThat(afterCrash.alerts()).containsExactly(alert);
        assertThat(afterCrash.published()).isFalse();
        collects.published(afterCrash);
        IdempotentCollects.Claim afterAnswer = collects.claim("k", caller, entries, List.of(later));
        assertThat(afterAnswer.alerts()).containsExactly(alert);
        assertThat(afterAnswer.published()).isTrue();
        assertThat(collects.claim(null, caller, entries, List.of(later)).alerts()).containsExactly(later);
        assertThat(first.alerts()).containsExactly(alert);
    }
}
