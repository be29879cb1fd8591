package io.fineas.pipeline.config;

import java.nio.file.Path;

import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.processors.ProcessorStatus;
import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.support.service.ServiceSupport;

/**
 * What every stage's beans are built from: the Camel context, the MongoDB system and data databases, the topic
 * registry and the segments, the processors' status collection and the data folder of the embedded default.
 */
public record SharedBeans(CamelContext context, MongoDatabase system, MongoDatabase data, TopicRegistry topics,
        Segments segments, ProcessorStatus processorStatus, Path dataDir,
        io.fineas.pipeline.common.KafkaClientSettings kafka) {

    /** Closes the resource when Camel stops; Camel stops services in the reverse order they were added. */
    public void closeOnStop(AutoCloseable resource) throws Exception {
        context.addService(closing(resource), true, false);
    }

    static Service closing(AutoCloseable resource) {
        return new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                resource.close();
            }
        };
    }
}
