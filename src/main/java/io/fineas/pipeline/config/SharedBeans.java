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

    /**
     * Registers meters once the meter registry exists (it is bound as Camel starts): once, although Camel calls a
     * startup listener more than once (Micrometer warns of each meter registered twice).
     */
    public void whenMetersExist(java.util.function.Consumer<io.micrometer.core.instrument.MeterRegistry> register)
            throws Exception {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        context.addStartupListener((ctx, alreadyStarted) -> {
            io.micrometer.core.instrument.MeterRegistry meters = ctx.getRegistry()
                    .findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
            if (meters != null && done.compareAndSet(false, true)) {
                register.accept(meters);
            }
        });
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
