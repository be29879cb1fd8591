package io.fineas.pipeline.infra;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import org.bson.Document;
import org.h2.mvstore.type.ObjectDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class IndexKeyOrderTest {

    @Test
    void ordersIndexKeysExactlyAsH2Does() {
        Random random = new Random(7);
        List<Object> keys = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            Object value = switch (random.nextInt(5)) {
                case 0 -> "run-" + Long.toString(random.nextLong(), 36);
                case 1 -> random.nextInt();
                case 2 -> random.nextDouble();
                case 3 -> random.nextBoolean() ? null : List.of("a", random.nextInt(100));
                default -> new de.bwaldvogel.mongo.bson.Document("k", random.nextLong());
            };
            keys.add(random.nextBoolean() ? new KeyValue(value) : new KeyValue(value, "segment-" + random.nextInt(9)));
        }
        List<Object> byH2 = new ArrayList<>(keys);
        byH2.sort(new ObjectDataType()::compare);
        IndexKeyOrder order = new IndexKeyOrder();
        List<Object> byOrder = new ArrayList<>(keys);
        byOrder.sort(order::compare);
        // twice: the second sort compares from the cache
        List<Object> again = new ArrayList<>(keys);
        java.util.Collections.shuffle(again, random);
        again.sort(order::compare);

        assertThat(byOrder).containsExactlyElementsOf(byH2);
        assertThat(again).containsExactlyElementsOf(byH2);
        // and every key is found where H2 would find it, or its insertion point
        Object[] sorted = byH2.toArray();
        ObjectDataType h2 = new ObjectDataType();
        for (Object probe : keys.subList(0, 300)) {
            Object copy = new KeyValue(((KeyValue) probe).stream().toArray());
            for (int guess : new int[] {0, 1, 777, 5_000}) {
                assertThat(order.binarySearch(copy, sorted, sorted.length, guess))
                        .isEqualTo(h2.binarySearch(copy, sorted, sorted.length, guess));
            }
        }
        Object absent = new KeyValue("not-there");
        assertThat(order.binarySearch(absent, sorted, sorted.length, 0))
                .isEqualTo(h2.binarySearch(absent, sorted, sorted.length, 0)).isNegative();
        assertThat(order.compare("b", "a")).isPositive();
        assertThat(order.compare(2L, 10L)).isNegative();
    }

    @Test
    void readsAndExtendsADataFileWrittenByTheStockBackend(@TempDir Path dir) {
        Path file = dir.resolve("pipeline.mv");
        H2Backend stock = new H2Backend(file.toString());
        MongoServer server = new MongoServer(stock.version(EmbeddedMongoServer.DRIVER_COMPATIBLE));
        server.bind("127.0.0.1", 0);
        try (MongoClient client = MongoClients.create("mongodb://127.0.0.1:" + server.getLocalAddress().getPort())) {
            MongoCollection<Document> runs = client.getDatabase("fineas").getCollection("runs");
            runs.createIndex(Indexes.ascending("topic"), new com.mongodb.client.model.IndexOptions().unique(true));
            for (int i = 0; i < 500; i++) {
                runs.insertOne(new Document("_id", "run-" + i).append("topic", "topic-" + i));
            }
        } finally {
            server.shutdown();
            stock.close();
        }

        try (EmbeddedMongoServer ours = new EmbeddedMongoServer("127.0.0.1", 0, file).start();
                MongoClient client = MongoClients.create(ours.connectionString())) {
            MongoCollection<Document> runs = client.getDatabase("fineas").getCollection("runs");
            for (int i = 0; i < 500; i += 7) {
                assertThat(runs.find(Filters.eq("_id", "run-" + i)).first()).containsEntry("topic", "topic-" + i);
            }
            runs.insertOne(new Document("_id", "run-new").append("topic", "topic-new"));
            assertThat(runs.countDocuments()).isEqualTo(501);
            assertThat(runs.find(Filters.eq("_id", "run-new")).first()).isNotNull();
            // the unique index written by the stock backend still refuses a duplicate
            org.assertj.core.api.Assertions.assertThatThrownBy(
                    () -> runs.insertOne(new Document("_id", "run-dup").append("topic", "topic-250")))
                    .isInstanceOf(com.mongodb.MongoWriteException.class);
        }
    }
}
