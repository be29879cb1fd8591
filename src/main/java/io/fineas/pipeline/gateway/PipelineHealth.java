package io.fineas.pipeline.gateway;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.KafkaClientSettings;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * GET /status (admin): the readiness of each part of this process (Camel's health checks: routes, consumers, the
 * stores' pings) and, from Kafka, how far behind each consumer group is on each topic (its lag: records not yet
 * committed), so an operator sees at a glance what waits and where.
 */
public final class PipelineHealth implements AutoCloseable {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Check(@JsonProperty("id") String id, @JsonProperty("group") String group,
            @JsonProperty("state") String state, @JsonProperty("message") String message) {
    }

    public record Lag(@JsonProperty("group") String group, @JsonProperty("topic") String topic,
            @JsonProperty("partitions") int partitions, @JsonProperty("lag") long lag) {
    }

    public record Status(@JsonProperty("ready") boolean ready, @JsonProperty("checks") List<Check> checks,
            @JsonProperty("consumer_lag") List<Lag> consumerLag) {
    }

    private final CamelContext context;
    private final Admin admin;
    private final io.fineas.pipeline.infra.OperationalMetrics metrics = new io.fineas.pipeline.infra.OperationalMetrics();

    public PipelineHealth(CamelContext context, KafkaClientSettings kafka) {
        this.context = context;
        this.admin = Admin.create(kafka.client(Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000")));
    }

    public Status status() {
        List<Check> checks = new ArrayList<>();
        boolean ready = true;
        for (HealthCheck.Result r : HealthCheckHelper.invokeReadiness(context)) {
            String state = r.getState().name().toLowerCase(java.util.Locale.ROOT);
            ready &= r.getState() != HealthCheck.State.DOWN;
            checks.add(new Check(r.getCheck().getId(), r.getCheck().getGroup(), state, r.getMessage().orElse(null)));
        }
        return new Status(ready, checks, lag());
    }

    /** Writes every consumer group's lag per topic to pipeline_consumer_lag (the gateway's timer route). */
    public void recordLag() {
        io.micrometer.core.instrument.MeterRegistry meters = context.getRegistry()
                .findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
        if (meters != null) {
            metrics.lag(meters, lag().stream().map(l -> new io.fineas.pipeline.infra.OperationalMetrics.Lag(l.group(),
                    l.topic(), l.lag())).toList());
        }
    }

    private List<Lag> lag() {
        try {
            List<Lag> out = new ArrayList<>();
            for (ConsumerGroupListing group : admin.listConsumerGroups().all().get(5, TimeUnit.SECONDS)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group.groupId())
                        .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = latest.isEmpty() ? Map.of()
                        : admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
                Map<String, long[]> perTopic = new TreeMap<>();
                committed.forEach((tp, offset) -> {
                    long[] t = perTopic.computeIfAbsent(tp.topic(), k -> new long[2]);
                    t[0]++;
                    if (offset != null && ends.containsKey(tp)) {
                        t[1] += Math.max(0, ends.get(tp).offset() - offset.offset());
                    }
                });
                perTopic.forEach((topic, t) -> out.add(new Lag(group.groupId(), topic, (int) t[0], t[1])));
            }
            out.sort(java.util.Comparator.comparing(Lag::group).thenComparing(Lag::topic));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("Kafka did not answer in time");
        } catch (Exception e) {
            throw ApiException.unavailable("Kafka did not answer in time");
        }
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}
