package io.fineas.pipeline.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.KafkaClientSettings;
import io.fineas.pipeline.common.QueryParameters;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bson.Document;

/**
 * The dead-letter topics, for the console (admin): the newest records of each with the reason they were set aside,
 * and their replay to the topic they came from ({@code dlq-source-topic}). A replay is recorded in MongoDB
 * ({@code dead_letter_replays}, one per record) before it is published, so a record is replayed once, however often
 * the button is pressed; the stages it goes back to are idempotent, so a replay that failed half way may be tried
 * again. A record without a source topic (a failed capture: capture.dlq) is collected again by a new run instead.
 */
public final class DeadLetters implements AutoCloseable {

    /** The most records shown per dead-letter topic. */
    public static final int MAX_LIMIT = 200;
    private static final int MAX_VALUE_CHARS = 4000;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Letter(
            @JsonProperty("dlq") String dlq,
            @JsonProperty("partition") int partition,
            @JsonProperty("offset") long offset,
            @JsonProperty("key") String key,
            @JsonProperty("timestamp") String timestamp,
            @JsonProperty("reason") String reason,
            @JsonProperty("source_topic") String sourceTopic,
            @JsonProperty("value") String value,
            @JsonProperty("value_truncated") boolean valueTruncated,
            @JsonProperty("replayed_at") String replayedAt) {
    }

    public record Queue(@JsonProperty("dlq") String dlq, @JsonProperty("records") long records,
            @JsonProperty("letters") List<Letter> letters) {
    }

    public record Queues(@JsonProperty("dead_letters") List<Queue> deadLetters) {
    }

    public record Replayed(@JsonProperty("dlq") String dlq, @JsonProperty("partition") int partition,
            @JsonProperty("offset") long offset, @JsonProperty("source_topic") String sourceTopic,
            @JsonProperty("replayed_at") String replayedAt) {
    }

    private final KafkaClientSettings kafka;
    private final List<String> dlqs;
    private final MongoCollection<Document> replays;
    private final java.util.function.Predicate<String> replayable;
    private KafkaProducer<String, String> producer;

    /**
     * @param replayable the topics a record may be replayed to (the data topics and the alert topic): the source a
     *                   dead letter names is a header, and a replay to any other topic (the deletion events, chat
     *                   replies) would publish whatever the record holds where no stage expects it
     */
    public DeadLetters(KafkaClientSettings kafka, List<String> dlqs, MongoCollection<Document> replays,
            java.util.function.Predicate<String> replayable) {
        this.replayable = replayable;
        this.kafka = kafka;
        this.dlqs = List.copyOf(dlqs);
        this.replays = replays;
    }

    /** The newest records of every dead-letter topic (at most {@code limit} each, 1 to 200, default 50). */
    public Queues recent(@org.apache.camel.Header("limit") Object limit) {
        int n = QueryParameters.wholeNumber("limit", limit, 50, MAX_LIMIT);
        List<Queue> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            for (String dlq : dlqs) {
                out.add(queue(consumer, dlq, n));
            }
        }
        return new Queues(out);
    }

    private Queue queue(KafkaConsumer<String, String> consumer, String dlq, int n) {
        List<TopicPartition> partitions = consumer.partitionsFor(dlq, Duration.ofSeconds(5)).stream()
                .map(p -> new TopicPartition(dlq, p.partition())).toList();
        if (partitions.isEmpty()) {
            return new Queue(dlq, 0, List.of());
        }
        consumer.assign(partitions);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += end.get(tp) - begin.get(tp);
            consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - n));
        }
        List<ConsumerRecord<String, String>> read = readUpTo(consumer, partitions, end);
        Map<String, String> replayed = new HashMap<>();
        replays.find(Filters.eq("dlq", dlq)).forEach(d -> replayed.put(d.getString("_id"), d.getString("replayed_at")));
        List<Letter> letters = new ArrayList<>();
        read.stream().sorted(Comparator.comparingLong((ConsumerRecord<String, String> r) -> r.timestamp()).reversed())
                .limit(n).forEach(r -> letters.add(letter(r, replayed.get(id(dlq, r.partition(), r.offset())))));
        return new Queue(dlq, total, letters);
    }

    /** Replays one record to its source topic; 404 when there is no such record, 409 when it cannot or did go. */
    public synchronized Replayed replay(String dlq, Object partitionValue, Object offsetValue) {
        if (!dlqs.contains(dlq)) {
            throw ApiException.notFound("no dead-letter topic '" + dlq + "'");
        }
        int partition = number("partition", partitionValue);
        long offset = number("offset", offsetValue);
        ConsumerRecord<String, String> record = read(dlq, partition, offset);
        String source = header(record, "dlq-source-topic");
        if (source == null) {
            throw ApiException.conflict("this record names no source topic to go back to (a failed capture is "
                    + "collected again by a new run)");
        }
        if (!replayable.test(source)) {
            throw ApiException.conflict("this record names a source topic that nothing is replayed to (only data "
                    + "topics and the alert topic)");
        }
        String id = id(dlq, partition, offset);
        try {
            replays.insertOne(new Document("_id", id).append("dlq", dlq).append("status", "replaying")
                    .append("source_topic", source));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                Document done = replays.find(Filters.eq("_id", id)).first();
                throw ApiException.conflict("replayed already" + (done != null && done.get("replayed_at") != null
                        ? " at " + done.getString("replayed_at") : ""));
            }
            throw e;
        }
        try {
            producer().send(new ProducerRecord<>(source, record.key(), record.value())).get();
        } catch (Exception e) {
            replays.deleteOne(Filters.eq("_id", id));
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw ApiException.unavailable("the record could not be published to " + source + " now; try again");
        }
        String at = Instant.now().toString();
        replays.updateOne(Filters.eq("_id", id), Updates.combine(Updates.set("status", "replayed"),
                Updates.set("replayed_at", at)));
        return new Replayed(dlq, partition, offset, source, at);
    }

    private ConsumerRecord<String, String> read(String dlq, int partition, long offset) {
        try (KafkaConsumer<String, String> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(dlq, partition);
            if (consumer.partitionsFor(dlq, Duration.ofSeconds(5)).stream().noneMatch(p -> p.partition() == partition)) {
                throw ApiException.notFound("no partition " + partition + " in " + dlq);
            }
            consumer.assign(List.of(tp));
            long begin = consumer.beginningOffsets(List.of(tp)).get(tp);
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            if (offset < begin || offset >= end) {
                throw ApiException.notFound("no record at offset " + offset + " of " + dlq + "/" + partition);
            }
            consumer.seek(tp, offset);
            for (ConsumerRecord<String, String> r : readUpTo(consumer, List.of(tp), Map.of(tp, offset + 1))) {
                if (r.offset() == offset) {
                    return r;
                }
            }
            throw ApiException.notFound("no record at offset " + offset + " of " + dlq + "/" + partition);
        }
    }

    /** Polls until every partition's position reached its end (or 10 s passed). */
    private static List<ConsumerRecord<String, String>> readUpTo(KafkaConsumer<String, String> consumer,
            List<TopicPartition> partitions, Map<TopicPartition, Long> end) {
        List<ConsumerRecord<String, String>> out = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    private static Letter letter(ConsumerRecord<String, String> r, String replayedAt) {
        String value = r.value() == null ? "" : r.value();
        boolean truncated = value.length() > MAX_VALUE_CHARS;
        return new Letter(r.topic(), r.partition(), r.offset(), r.key(), Instant.ofEpochMilli(r.timestamp()).toString(),
                header(r, "dlq-reason"), header(r, "dlq-source-topic"),
                truncated ? value.substring(0, MAX_VALUE_CHARS) : value, truncated, replayedAt);
    }

    private static String header(ConsumerRecord<String, String> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static String id(String dlq, int partition, long offset) {
        return dlq + "/" + partition + "/" + offset;
    }

    private static int number(String name, Object value) {
        if (value instanceof Number n && n.longValue() >= 0 && n.longValue() <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw ApiException.badRequest("'" + name + "' must be a whole number from 0");
    }

    private KafkaConsumer<String, String> consumer() {
        return new KafkaConsumer<>(kafka.client(Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500")), new StringDeserializer(), new StringDeserializer());
    }

    private synchronized KafkaProducer<String, String> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(kafka.client(Map.of(ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")), new StringSerializer(), new StringSerializer());
        }
        return producer;
    }

    @Override
    public synchronized void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
    }
}
