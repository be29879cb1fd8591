package io.fineas.pipeline.infra;

import java.nio.file.Path;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedMongoServerTest {

    @Test
    void aRestartKeepsWhatWasWritten(@TempDir Path dir) {
        Path file = dir.resolve("mongo").resolve("pipeline.mv");
        try (EmbeddedMongoServer server = new EmbeddedMongoServer("127.0.0.1", 0, file).start();
                MongoClient client = MongoClients.create(server.connectionString())) {
            client.getDatabase("fineas").getCollection("news").insertOne(new Document("_id", "segment:x"));
        }
        try (EmbeddedMongoServer server = new EmbeddedMongoServer("127.0.0.1", 0, file).start();
                MongoClient client = MongoClients.create(server.connectionString())) {
            assertThat(client.getDatabase("fineas").getCollection("news").find().first())
                    .isEqualTo(new Document("_id", "segment:x"));
        }
    }
}
