package io.fineas.pipeline.rag;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.support.SharedStores;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The run in a chunk's lineage is shown to the keys GET /runs/{run_id} shows it to: a run of every topic ("alert")
 * names other topics' processors, so a key of one topic sees the chunk and its record but not that run.
 */
@ExtendWith(SharedStores.class)
class LineageTest {

    @Test
    void aRunOfEveryTopicIsLeftOutForAKeyOfOneTopic(@TempDir Path dir) {
        MongoDatabase system = SharedStores.mongo().getDatabase("lineage-" + UUID.randomUUID().toString().substring(0, 8));
        MongoCollection<Document> runs = system.getCollection("runs");
        runs.insertOne(new Document("_id", "run-all").append("topic", "alert").append("processors",
                new Document("other-topics-processor", new Document("status", "succeeded"))));
        runs.insertOne(new Document("_id", "run-t").append("topic", "t"));
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            store.upsert(List.of(chunk("a", "run-all"), chunk("b", "run-t")),
                    List.of(new float[] {1, 0, 0}, new float[] {0, 1, 0}));
            Lineage lineage = new Lineage(store, () -> List.of("t", "u"), system.getCollection("processors"), runs);

            java.util.function.Predicate<String> readT = "t"::equals;
            java.util.function.Predicate<String> readAll = topic -> true;
            String a = Chunk.id("t", "s", "a", 0);
            assertThat(lineage.trace(a, readT).run()).as("a run of every topic, to read:t").isNull();
            assertThat(lineage.trace(a, readT).chunk()).isNotNull();
            assertThat(lineage.trace(a, readAll).run()).containsEntry("run_id", "run-all");
            assertThat(lineage.trace(Chunk.id("t", "s", "b", 0), readT).run()).containsEntry("run_id", "run-t");
        }
    }

    private static Chunk chunk(String source, String runId) {
        return new Chunk(Chunk.id("t", "s", source, 0), "t", "s", source, 0, "text of " + source,
                Map.of("topic", "t", "segment", "s", "source", source, "chunk_index", 0, "run_id", runId));
    }
}
