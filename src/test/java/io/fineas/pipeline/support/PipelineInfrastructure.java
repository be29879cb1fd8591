package io.fineas.pipeline.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.fineas.pipeline.infra.EmbeddedKafkaBroker;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Kafka broker (KRaft, in process) and one MongoDB wire server per test JVM, started on free ports by the
 * first test class that needs them and stopped when the JVM's tests are done. A benchmark can be pointed at servers
 * in another process instead ({@code -Dpipeline.test.kafka=host:port -Dpipeline.test.mongodb=mongodb://...}).
 */
public final class PipelineInfrastructure implements BeforeAllCallback {

    /** Servers in another process to use instead of starting them here (a benchmark's choice). */
    private static final String KAFKA_ELSEWHERE = "pipeline.test.kafka";
    private static final String MONGODB_ELSEWHERE = "pipeline.test.mongodb";

    private static EmbeddedKafkaBroker kafka;
    private static EmbeddedMongoServer mongo;

    @Override
    public void beforeAll(ExtensionContext context) {
        if (System.getProperty(KAFKA_ELSEWHERE) == null) {
            start();
        }
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(PipelineInfrastructure.class, k -> (ExtensionContext.Store.CloseableResource)
                        PipelineInfrastructure::stop);
    }

    public static synchronized void start() {
        if (kafka == null) {
            try {
                Path dir = Files.createTempDirectory("pipeline-test-kafka");
                kafka = new EmbeddedKafkaBroker("127.0.0.1", 0, dir).start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            mongo = new EmbeddedMongoServer("127.0.0.1", 0, null).start();
        }
    }

    private static synchronized void stop() {
        if (kafka != null) {
            kafka.close();
            mongo.close();
            kafka = null;
            mongo = null;
        }
    }

    public static String bootstrapServers() {
        String elsewhere = System.getProperty(KAFKA_ELSEWHERE);
        if (elsewhere != null) {
            return elsewhere;
        }
        start();
        return kafka.bootstrapServers();
    }

    public static String mongoUri() {
        String elsewhere = System.getProperty(MONGODB_ELSEWHERE);
        if (elsewhere != null) {
            return elsewhere;
        }
        start();
        return mongo.connectionString();
    }
}
