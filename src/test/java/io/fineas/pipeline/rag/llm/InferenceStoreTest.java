package io.fineas.pipeline.rag.llm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A batch of inferences: stored by _id, the latest of an _id kept, stale ones dropped, bad ones refused alone. */
class InferenceStoreTest {

    private static MongoServer server;
    private static MongoClient client;
    private static MongoDatabase data;

    @BeforeAll
    static void start() {
        server = new MongoServer(new MemoryBackend().version(io.fineas.pipeline.infra.EmbeddedMongoServer.DRIVER_COMPATIBLE));
        client = MongoClients.create(server.bindAndGetConnectionString());
        data = client.getDatabase("data");
    }

    @AfterAll
    static void stop() {
        client.close();
        server.shutdownNow();
    }

    private static String inference(String id, String topic, String segment, String text) {
        return new Document(Map.of("_id", id, "kind", "inference", "topic", topic, "segment", segment,
                "inference", text)).toJson();
    }

    @Test
    void aBatchIsStoredByIdWithTheLatestOfAnIdKeptAndStaleOnesDropped() {
        InferenceStore store = new InferenceStore(data, (topic, segment, generation) -> !segment.equals("gone"));
        List<String> batch = new ArrayList<>(List.of(
                inference("i1", "news", "s", "first"),
                inference("i2", "news", "s", "second"),
                inference("i1", "news", "s", "first, newer"),
                inference("i3", "notes", "s", "third"),
                inference("i4", "news", "gone", "of a deleted segment")));

        InferenceStore.Result result = store.storeAll(batch);

        assertThat(result.stored()).isEqualTo(3);
        assertThat(result.stale()).isEqualTo(1);
        assertThat(result.failures()).isEmpty();
        assertThat(data.getCollection("news").find().into(new ArrayList<>()))
                .extracting(d -> d.getString("_id") + "=" + d.getString("inference"))
                .containsExactlyInAnyOrder("i1=first, newer", "i2=second");
        assertThat(data.getCollection("notes").countDocuments()).isEqualTo(1);

        // a replay stores nothing twice
        assertThat(store.storeAll(batch).stored()).isEqualTo(3);
        assertThat(data.getCollection("news").countDocuments()).isEqualTo(2);
    }

    @Test
    void anInferenceThatIsNotJsonOrHasNoIdIsRefusedAloneAndTheOthersAreStored() {
        InferenceStore store = new InferenceStore(data, (topic, segment, generation) -> true);

        InferenceStore.Result result = store.storeAll(List.of(
                "{not json",
                new Document(Map.of("topic", "refused", "segment", "s")).toJson(),
                inference("r1", "refused", "s", "fine")));

        assertThat(result.stored()).isEqualTo(1);
        assertThat(result.failures()).extracting(f -> f.record())
                .containsExactly("{not json", new Document(Map.of("topic", "refused", "segment", "s")).toJson());
        assertThat(result.failures()).extracting(f -> f.reason())
                .allSatisfy(reason -> assertThat(reason).startsWith("not"));
        assertThat(data.getCollection("refused").countDocuments()).isEqualTo(1);
    }

    private static String version(String id, String topic, String capturedAt, String text) {
        return new Document(Map.of("_id", id, "kind", "inference", "topic", topic, "segment", "s",
                "captured_at", capturedAt, "inference", text)).toJson();
    }

    /**
     * The newest captured version always wins: an older one stored after it (a resumed parked record, a replayed
     * dead letter) or beside it in one batch (a backlog) is dropped, and the analysis of an older one makes no model
     * call. Before, the last written won and a replay rolled the inference back.
     */
    @Test
    void anOlderVersionNeverReplacesANewerOneAndIsNotAnalysed() {
        InferenceStore store = new InferenceStore(data, (topic, segment, generation) -> true);
        String topic = "versions";

        assertThat(store.storeAll(List.of(version("v", topic, "2026-12-02T10:00:02Z", "second"),
                version("v", topic, "2026-12-02T10:00:01.5Z", "first"))).stale()).isEqualTo(1);
        assertThat(store.storeAll(List.of(version("v", topic, "2026-12-02T10:00:01Z", "first, replayed")))
                .stale()).isEqualTo(1);
        assertThat(data.getCollection(topic).find().first().getString("inference")).isEqualTo("second");
        assertThat(store.storeAll(List.of(version("v", topic, "2026-12-02T10:00:03Z", "third"))).stored())
                .isEqualTo(1);
        assertThat(data.getCollection(topic).find().first().getString("inference")).isEqualTo("third");
        // the same version again (a replay) is stored as it was
        assertThat(store.storeAll(List.of(version("v", topic, "2026-12-02T10:00:03Z", "third"))).stored())
                .isEqualTo(1);

        // the analysis of a version older than the stored inference's makes no model call
        AnalysisService analysis = new AnalysisService(new Prompts(null, 1000), "m", data,
                io.fineas.pipeline.rag.LiveSegments.ALL, t -> false, 100_000, "data-");
        String id = AnalysisService.inferenceId(topic, "s", "http://x/v", "analysis/default", "m");
        data.getCollection(topic).insertOne(new Document("_id", id).append("kind", "inference")
                .append("content_hash", "h-new").append(InferenceStore.CAPTURED_MILLIS, java.time.Instant.parse("2026-12-02T10:00:02Z").toEpochMilli()));
        String older = new Document(Map.of("topic", topic, "segment", "s", "source", Map.of("kind", "http", "id",
                "http://x/v"), "content_type", "text/plain", "content", "old text", "content_hash", "h-old",
                "captured_at", "2026-12-02T10:00:01Z")).toJson();
        assertThat(analysis.prepare(older, "data-" + topic).isStale()).isTrue();
        String newer = older.replace("2026-12-02T10:00:01Z", "2026-12-02T10:00:05Z");
        assertThat(analysis.prepare(newer, "data-" + topic).isStale()).isFalse();
    }
}
