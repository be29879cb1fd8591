package io.fineas.pipeline.catalog;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.fineas.pipeline.common.KafkaClientSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/** Kafka topic administration shared by every stage: create, delete (and wait until gone), list. */
public final class KafkaTopicAdmin implements AutoCloseable {

    private static final long TIMEOUT_SECONDS = 30;

    private final Admin admin;
    private final int partitions;
    private final short replicationFactor;

    public KafkaTopicAdmin(KafkaClientSettings kafka, int partitions,
            short replicationFactor) {
        this.admin = Admin.create(kafka.client(Map.of(AdminClientConfig.CLIENT_ID_CONFIG,
                "pipeline-topic-admin", AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                (int) TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS))));
        this.partitions = partitions;
        this.replicationFactor = replicationFactor;
    }

    /** Whether a broker answers within the time given (the cluster's description). */
    public boolean reachable(Duration within) {
        try {
            admin.describeCluster().nodes().get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    /** Creates the topic; returns false when it already existed. */
    public boolean create(String topic) {
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor)))
                    .all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return false;
            }
            throw new IllegalStateException("Kafka could not create topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("Kafka could not create topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Creates those of the topics that do not exist yet. */
    public void ensure(Collection<String> topics) {
        Set<String> existing = list();
        topics.stream().filter(t -> !existing.contains(t)).forEach(this::create);
    }

    /** Deletes the topic and waits until the broker no longer lists it (so it can be created again at once). */
    public boolean delete(String topic) {
        try {
            admin.deleteTopics(List.of(topic)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw new IllegalStateException("Kafka could not delete topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("Kafka could not delete topic " + topic + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(TIMEOUT_SECONDS).toNanos();
        while (list().contains(topic) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return true;
    }

    public Set<String> list() {
        try {
            return admin.listTopics().names().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka could not list topics: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
