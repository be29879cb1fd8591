package io.fineas.pipeline.common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Variable;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-kafka's batching consumer delivers a list of exchanges: a route (the ingestion, the run records) takes their
 * record values, and commits the batch once it is stored. camel-kafka does not commit a batch on its own (with manual commits allowed it leaves
 * the commit to the route, and the manual commit of the last exchange covers only its own partition), so each
 * partition's last record is committed here, on the consumer thread.
 */
public final class KafkaBatch {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBatch.class);

    /** Whether a record (its Kafka topic, its timestamp) is of its topic as it exists now. */
    private final java.util.function.BiPredicate<String, Long> current;

    public KafkaBatch() {
        this((topic, timestamp) -> true);
    }

    /** @param current whether a record's Kafka topic is still the one it was written to (catalog.TopicRegistry) */
    public KafkaBatch(java.util.function.BiPredicate<String, Long> current) {
        this.current = current;
    }

    public List<String> values(@Body List<Exchange> batch) {
        return batch.stream().map(e -> e.getMessage().getBody(String.class)).toList();
    }

    /** The Kafka topic of each record of the batch, in the batch's order. */
    public List<String> topics(@Body List<Exchange> batch) {
        return batch.stream().map(e -> e.getMessage().getHeader(KafkaConstants.TOPIC, String.class)).toList();
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

    /**
     * Commits, synchronously, the offset after the last record of each partition in the batch. A commit the group
     * refuses because it moved on (this consumer took longer than max.poll.interval.ms, waiting out an outage, and was
     * put out of the group; or a rebalance is under way) is not retried: it can never succeed in place, and retrying it
     * held the consumer thread forever. The consumer rejoins at its next poll and the partitions' records are polled
     * again from their last committed offset, by it or by the member that owns them now; every stage's effect is
     * idempotent, so the replay stores nothing twice.
     */
    public void commit(@Variable("batch") List<Exchange> batch) {
        commit(batch, false);
    }

    /**
     * As {@link #commit(List)}, for the consumers of the data topics: a partition whose last record's topic was deleted
     * meanwhile, or deleted and created again, is not committed (nothing is left to commit to, and the old offset
     * must not land on the new topic); its records were dropped as stale by the stage.
     */
    public void commitCurrent(@Variable("batch") List<Exchange> batch) {
        commit(batch, true);
    }

    private void commit(List<Exchange> batch, boolean onlyCurrent) {
        Map<String, KafkaManualCommit> lastPerPartition = new LinkedHashMap<>();
        Map<String, Exchange> lastExchange = new LinkedHashMap<>();
        for (Exchange e : batch) {
            KafkaManualCommit commit = e.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit == null) {
                throw new IllegalStateException("the Kafka consumer does not allow manual commits: the batch cannot "
                        + "be committed after its effect (camel.component.kafka.allow-manual-commit)");
            }
            String partition = e.getMessage().getHeader(KafkaConstants.TOPIC) + "/"
                    + e.getMessage().getHeader(KafkaConstants.PARTITION);
            lastPerPartition.put(partition, commit);
            lastExchange.put(partition, e);
        }
        lastPerPartition.forEach((partition, commit) -> {
            Exchange last = lastExchange.get(partition);
            if (onlyCurrent && !current.test(last.getMessage().getHeader(KafkaConstants.TOPIC, String.class),
                    last.getMessage().getHeader(KafkaConstants.TIMESTAMP, Long.class))) {
                LOG.info("Not committing {}: its topic was deleted (or created anew) since these records were written",
                        partition);
                return;
            }
            try {
                commit.commit();
            } catch (CommitFailedException | RebalanceInProgressException groupMovedOn) {
                LOG.warn("The offset of {} was not committed ({}): its records are polled again after the consumer "
                        + "rejoins its group", partition, groupMovedOn.toString());
            }
        });
    }
}
