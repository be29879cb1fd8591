package io.fineas.pipeline.common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;

/**
 * camel-kafka's batching consumer delivers a list of exchanges: a route (the ingestion, the run records) takes their
 * record values, and commits the batch once it is stored. camel-kafka does not commit a batch on its own (with manual commits allowed it leaves
 * the commit to the route, and the manual commit of the last exchange covers only its own partition), so each
 * partition's last record is committed here, on the consumer thread.
 */
public final class KafkaBatch {

    public List<String> values(List<Exchange> batch) {
        return batch.stream().map(e -> e.getMessage().getBody(String.class)).toList();
    }

    /**
     * A record of the batch, as the exchange a route splits the batch into: its value and its Kafka headers (topic,
     * partition, key), so each record goes on as if it had been consumed alone.
     */
    public void unwrap(Exchange part) {
        Exchange record = part.getMessage().getBody(Exchange.class);
        part.getMessage().setHeaders(new java.util.HashMap<>(record.getMessage().getHeaders()));
        part.getMessage().setBody(record.getMessage().getBody());
    }

    /** Commits, synchronously, the offset after the last record of each partition in the batch. */
    public void commit(List<Exchange> batch) {
        Map<String, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        for (Exchange e : batch) {
            KafkaManualCommit commit = e.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit == null) {
                throw new IllegalStateException("the Kafka consumer does not allow manual commits: the batch cannot "
                        + "be committed after its effect (camel.component.kafka.allow-manual-commit)");
            }
            lastPerPartition.put(e.getMessage().getHeader(KafkaConstants.TOPIC) + "/"
                    + e.getMessage().getHeader(KafkaConstants.PARTITION), commit);
        }
        lastPerPartition.values().forEach(KafkaManualCommit::commit);
    }
}
