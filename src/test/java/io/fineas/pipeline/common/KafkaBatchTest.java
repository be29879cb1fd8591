package io.fineas.pipeline.common;

import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A batch commits each partition's last record once. A commit the group refuses because it moved on (the consumer
 * outlived max.poll.interval.ms waiting out an outage, or a rebalance) returns instead of failing the exchange: the
 * stores' error handler retried it forever on the consumer thread, and it can never succeed in place.
 */
class KafkaBatchTest {

    private final CamelContext camel = new DefaultCamelContext();
    private final List<String> committed = new ArrayList<>();

    private Exchange record(String topic, int partition, KafkaManualCommit commit) {
        Exchange e = new DefaultExchange(camel);
        e.getMessage().setHeader(KafkaConstants.TOPIC, topic);
        e.getMessage().setHeader(KafkaConstants.PARTITION, partition);
        e.getMessage().setHeader(KafkaConstants.MANUAL_COMMIT, commit);
        return e;
    }

    @Test
    void eachPartitionsLastRecordIsCommittedOnce() {
        new KafkaBatch().commit(List.of(record("t", 0, () -> committed.add("t0-first")),
                record("t", 0, () -> committed.add("t0-last")), record("t", 1, () -> committed.add("t1"))));
        assertThat(committed).containsExactly("t0-last", "t1");
    }

    @Test
    void aCommitTheGroupRefusesIsLeftToTheReplayAndTheOtherPartitionsAreStillCommitted() {
        new KafkaBatch().commit(List.of(record("t", 0, () -> {
            throw new CommitFailedException();
        }), record("t", 1, () -> {
            throw new RebalanceInProgressException("rebalancing");
        }), record("t", 2, () -> committed.add("t2"))));
        assertThat(committed).containsExactly("t2");
    }

    @Test
    void anyOtherCommitFailureStillFailsTheExchange() {
        assertThatThrownBy(() -> new KafkaBatch().commit(List.of(record("t", 0, () -> {
            throw new org.apache.kafka.common.errors.TimeoutException("coordinator unavailable");
        })))).isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
    }

    /**
     * A data topic deleted (or deleted and created again) while its batch was worked on: its partition is not
     * committed. Measured against Kafka 3.9: a commit for the deleted topic times out (the stores' error handler
     * retried it on and on), and once the topic is created again the old offset lands on the new one, whose first
     * records would be skipped.
     */
    @Test
    void aPartitionOfATopicDeletedMeanwhileIsNotCommitted() {
        KafkaBatch batch = new KafkaBatch((topic, timestamp) -> !topic.equals("data-gone") && timestamp >= 100);
        Exchange gone = record("data-gone", 0, () -> committed.add("gone"));
        gone.getMessage().setHeader(KafkaConstants.TIMESTAMP, 500L);
        Exchange older = record("data-renewed", 0, () -> committed.add("renewed"));
        older.getMessage().setHeader(KafkaConstants.TIMESTAMP, 50L);
        Exchange kept = record("data-kept", 0, () -> committed.add("kept"));
        kept.getMessage().setHeader(KafkaConstants.TIMESTAMP, 500L);

        batch.commitCurrent(List.of(gone, older, kept));
        assertThat(committed).containsExactly("kept");
        // the batches of other topics (the alert topic's runs) are committed as ever
        batch.commit(List.of(gone));
        assertThat(committed).containsExactly("kept", "gone");
    }
}
