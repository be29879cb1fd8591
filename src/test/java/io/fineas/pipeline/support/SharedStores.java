package io.fineas.pipeline.support;

import java.util.UUID;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.catalog.KafkaTopicAdmin;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For tests of plain classes that need the stores but no application: a MongoDB client and a Kafka topic admin on the
 * test JVM's shared broker and Mongo wire server ({@link PipelineInfrastructure}), and a fresh topic catalog in
 * databases and a topic prefix of its own. Use with {@code @ExtendWith(SharedStores.class)}; closed with the JVM's
 * tests.
 */
public final class SharedStores implements BeforeAllCallback {

    private static MongoClient mongo;
    private static KafkaTopicAdmin topicAdmin;

    /** A topic catalog of its own: system and data databases, the registry on them and its segments. */
    public record Catalog(MongoDatabase system, MongoDatabase data, TopicRegistry topics, Segments segments,
            String prefix) {
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        new PipelineInfrastructure().beforeAll(context);
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(SharedStores.class,
                k -> (ExtensionContext.Store.CloseableResource) SharedStores::close);
    }

    public static synchronized MongoClient mongo() {
        if (mongo == null) {
            mongo = MongoClients.create(PipelineInfrastructure.mongoUri());
        }
        return mongo;
    }

    public static synchronized KafkaTopicAdmin topicAdmin() {
        if (topicAdmin == null) {
            topicAdmin = new KafkaTopicAdmin(io.fineas.pipeline.common.KafkaClientSettings.plaintext(PipelineInfrastructure.bootstrapServers()), 1, (short) 1);
        }
        return topicAdmin;
    }

    /** A fresh catalog: its Kafka data topics are named {@code <name>-<id>-<topic>}. */
    public static Catalog freshCatalog(String name) {
        String id = UUID.randomUUID().toString().substring(0, 8);
        MongoDatabase system = mongo().getDatabase("system-" + id);
        MongoDatabase data = mongo().getDatabase("data-" + id);
        String prefix = name + "-" + id + "-";
        TopicRegistry topics = new TopicRegistry(system.getCollection("topics"), data, topicAdmin(), prefix);
        return new Catalog(system, data, topics, new Segments(topics), prefix);
    }

    private static synchronized void close() {
        if (topicAdmin != null) {
            topicAdmin.close();
            topicAdmin = null;
        }
        if (mongo != null) {
            mongo.close();
            mongo = null;
        }
    }
}
