package io.fineas.pipeline.gateway;

import java.util.List;
import java.util.Map;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.bson.Document;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ApiKeysTest extends PipelineTestSupport {

    @Test
    void adminCreatesAScopedKeyThatIsLimitedToItsTopicsAndCanBeRevoked() {
        String mine = uniqueName("mine");
        String other = uniqueName("other");
        createTopic(mine);
        createTopic(other);

        Response created = post("/keys", Map.of("name", "news writer", "scopes", List.of("write:" + mine)),
                "X-API-Key", ADMIN_KEY);
        assertThat(created.status()).isEqualTo(201);
        String key = (String) created.json().get("api_key");
        String id = (String) created.json().get("id");
        assertThat(key).startsWith("fpk_");

        // the key is stored only as a hash
        for (Document d : mongo().getDatabase(ids().systemDatabase()).getCollection("api_keys").find()) {
            assertThat(d.toJson()).doesNotContain(key).doesNotContain(ADMIN_KEY);
        }
        // it is not listed again
        assertThat(get("/keys", "X-API-Key", ADMIN_KEY).body()).contains(id).doesNotContain(key);

        assertThat(post("/segments", Map.of("api_key", key, "topic", mine, "segment", "s", "segment_action", "create"))
                .status()).isEqualTo(201);
        Response forbidden = post("/segments", Map.of("api_key", key, "topic", other, "segment", "s",
                "segment_action", "create"));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.json()).containsEntry("error", "forbidden");
        assertThat(post("/keys", Map.of("name", "x", "scopes", List.of("admin")), "X-API-Key", key).status())
                .isEqualTo(403);
        List<Map<String, Object>> visible = (List<Map<String, Object>>) get("/topics", "X-API-Key", key).json()
                .get("topics");
        assertThat(visible).extracting(t -> t.get("topic")).containsExactly(mine);

        assertThat(delete("/keys/" + id, "X-API-Key", ADMIN_KEY).status()).isEqualTo(200);
        assertThat(post("/segments", Map.of("api_key", key, "topic", mine, "segment", "t", "segment_action", "create"))
                .status()).isEqualTo(401);
        assertThat(delete("/keys/" + id, "X-API-Key", ADMIN_KEY).status()).isEqualTo(404);
    }

    @Test
    void scopesNameExistingTopicsAndNoKeyOfOneTopicReadsEveryTopic() {
        String topic = uniqueName("scoped");
        createTopic(topic);
        for (String scope : List.of("read:null", "write:alert", "read:" + topic + "-missing")) {
            Response refused = post("/keys", Map.of("name", "bad", "scopes", List.of(scope)), "X-API-Key", ADMIN_KEY);
            assertThat(refused.status()).as(scope).isEqualTo(400);
            assertThat(refused.json()).containsEntry("error", "invalid_request");
        }
        for (String reserved : List.of("alert", "null")) {
            assertThat(post("/topics", Map.of("api_key", ADMIN_KEY, "topic", reserved, "topic_action", "create"))
                    .status()).as(reserved).isEqualTo(400);
        }
        String key = (String) post("/keys", Map.of("name", "one topic", "scopes", List.of("read:" + topic)),
                "X-API-Key", ADMIN_KEY).json().get("api_key");
        // no topic means every topic: not for a key of one topic
        Response chat = post("/chat", Map.of("question", "anything?"), "X-API-Key", key);
        assertThat(chat.status()).isEqualTo(403);
        assertThat(chat.json()).containsEntry("error", "forbidden");
    }

    @Test
    void aStartAfterTheGeneratedAdminKeyWasRevokedGeneratesAnotherAndTheRevokedOneStaysRevoked() {
        var collection = mongo().getDatabase(ids().systemDatabase()).getCollection("keys-restart-" + ids().suffix());
        ApiKeys keys = new ApiKeys(collection, topic -> true);
        keys.ensureAdminKey(null);
        assertThat(keys.revoke("admin").revoked()).isTrue();

        keys.ensureAdminKey(null); // the next start: it used to fail on a duplicate key and the process did not start

        assertThat(collection.countDocuments()).isEqualTo(2);
        assertThat(collection.find(com.mongodb.client.model.Filters.eq("_id", "admin")).first().getString("revoked_at"))
                .isNotNull();
        assertThat(keys.list().keys()).singleElement().satisfies(k -> assertThat(k.id()).startsWith("admin-"));
        keys.ensureAdminKey(null); // and a start with an active admin key generates nothing
        assertThat(collection.countDocuments()).isEqualTo(2);
    }

    @Test
    void gatewayReplicasStartingTogetherWithTheSameConfiguredKeyLeaveItValid() throws Exception {
        // two replicas of a Deployment start at once: one used to revoke the key the other had just installed, then
        // fail on the unique hash index, and every later start found the configured key revoked (401 for good)
        String configured = "c7a4e1d8b5f2a9c6e3d0b7f4a1c8e5d2b9f6a3c0e7d4b1f8a5c2e9d6b3f0a7c4";
        for (int round = 0; round < 25; round++) {
            var collection = mongo().getDatabase(ids().systemDatabase())
                    .getCollection("keys-replicas-" + round + "-" + ids().suffix());
            collection.insertOne(new Document("_id", "admin-old").append("name", "admin (configured)")
                    .append("hash", "previously-configured").append("scopes", List.of("admin")));
            int replicas = 4;
            var barrier = new java.util.concurrent.CyclicBarrier(replicas);
            var pool = java.util.concurrent.Executors.newFixedThreadPool(replicas);
            try {
                List<java.util.concurrent.Future<?>> starts = new java.util.ArrayList<>();
                for (int r = 0; r < replicas; r++) {
                    ApiKeys replica = new ApiKeys(collection, topic -> true);
                    starts.add(pool.submit(() -> {
                        barrier.await();
                        replica.ensureAdminKey(configured);
                        return null;
                    }));
                }
                for (var start : starts) {
                    start.get(); // no replica fails to start
                }
            } finally {
                pool.shutdownNow();
            }
            ApiKeys later = new ApiKeys(collection, topic -> true);
            assertThat(later.authenticate(configured).isAdmin()).as("round " + round).isTrue();
            later.ensureAdminKey(configured); // a restart keeps it
            assertThat(new ApiKeys(collection, topic -> true).authenticate(configured).isAdmin()).isTrue();
            assertThat(later.list().keys()).as("round " + round + ": the configured key alone is active")
                    .singleElement().satisfies(k -> assertThat(k.id()).isNotEqualTo("admin-old"));
        }
    }

    @Test
    void readScopedKeyMayListButNotWrite() {
        String topic = uniqueName("readable");
        createTopic(topic);
        String key = (String) post("/keys", Map.of("name", "reader", "scopes", List.of("read:*")),
                "X-API-Key", ADMIN_KEY).json().get("api_key");

        assertThat(get("/topics/" + topic + "/segments", "X-API-Key", key).status()).isEqualTo(200);
        assertThat(post("/collect", List.of(Map.of("topic", topic, "segment_targets", List.of("x"))), "X-API-Key", key)
                .status()).isEqualTo(403);
        assertThat(get("/topics", "X-API-Key", "wrong").status()).isEqualTo(401);
        assertThat(get("/topics").status()).isEqualTo(401);
    }
}
