package io.fineas.pipeline.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;

/**
 * What the route-level tests share (docs/DEVELOPMENT.md, "routes" layer): a Camel context of their own with the
 * shipped properties, the route files loaded as shipped, and a batch as camel-kafka's batching consumer hands it over.
 */
public final class RouteTestContext {

    private RouteTestContext() {
    }

    /** A context reading src/main/resources/application.properties, these properties over it. */
    public static DefaultCamelContext create(Properties overrides) {
        DefaultCamelContext context = new DefaultCamelContext();
        context.getPropertiesComponent().setLocation("file:src/main/resources/application.properties");
        context.getPropertiesComponent().setOverrideProperties(overrides);
        return context;
    }

    /**
     * Loads route files (paths from the project's root), in this order: the error configurations first, since a route
     * takes its configuration when it is loaded.
     */
    public static void load(CamelContext context, String... files) throws Exception {
        var loader = PluginHelper.getRoutesLoader(context);
        for (String file : files) {
            loader.loadRoutes(ResourceHelper.resolveResource(context, "file:" + file));
        }
    }

    /**
     * A batch of records of one Kafka topic, partitions 0 and 1 in turn, each with the headers camel-kafka sets and a
     * manual commit that writes "topic/partition@offset" to {@code commits} when called.
     */
    public static List<Exchange> batch(CamelContext context, String kafkaTopic, List<String> values,
            List<String> commits) {
        List<Exchange> batch = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            Exchange record = new DefaultExchange(context);
            int partition = i % 2;
            String committed = kafkaTopic + "/" + partition + "@" + i;
            record.getMessage().setBody(values.get(i));
            record.getMessage().setHeader(KafkaConstants.TOPIC, kafkaTopic);
            record.getMessage().setHeader(KafkaConstants.PARTITION, partition);
            record.getMessage().setHeader(KafkaConstants.OFFSET, (long) i);
            record.getMessage().setHeader(KafkaConstants.TIMESTAMP, System.currentTimeMillis());
            record.getMessage().setHeader(KafkaConstants.MANUAL_COMMIT,
                    (KafkaManualCommit) () -> commits.add(committed));
            batch.add(record);
        }
        return batch;
    }
}
