package io.fineas.pipeline.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.messages.DeletionEvent;
import org.apache.camel.Variable;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topics. A topic is a Kafka data topic ({@code dataTopicPrefix + name}) mapped to the MongoDB collection
 * {@code name} in the data database, which holds its segments ({@link Segments}) and every record stored for them.
 *
 * <p>The registry (system database, collection {@code topics}) records each topic with a status, so a create or
 * delete that fails half way is rolled back or finished, never left half done.
 */
public final class TopicRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(TopicRegistry.class);
    private static final String ACTIVE = "active";
    private static final String CREATING = "creating";
    private static final String DELETING = "deleting";
    /** A topic's segments deleted whose deletion event is not published yet (pendSegmentDeletion). */
    private static final String PENDING_DELETIONS = "pending_segment_deletions";
    private static final String TOKEN_BUDGET = "token_budget_per_day";

    /** A topic as the API shows it: created (POST /topics) or listed (GET /topics, with its segment count). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Topic(
            @JsonProperty("topic") String topic,
            @JsonProperty("kafka_topic") String kafkaTopic,
            @JsonProperty("collection") String collection,
            @JsonProperty("created") Boolean created,
            @JsonProperty("created_at") String createdAt,
            @JsonProperty("segments") Long segments,
            @JsonProperty("records") Long records,
            @JsonProperty("chunks") Long chunks,
            @JsonProperty("inferences") Long inferences,
            @JsonProperty("token_budget_per_day") Long tokenBudgetPerDay,
            @JsonProperty("tokens_today") TokensToday tokensToday) {

        /** The topic with its model tokens today (GET /topics: usage/UsageReport). */
        public Topic withTokens(TokensToday today) {
            return new Topic(topic, kafkaTopic, collection, created, createdAt, segments, records, chunks, inferences,
                    tokenBudgetPerDay, today);
        }
    }

    /** A topic's tokens today (UTC) and whether its analyses run or wait for its budget. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TokensToday(
            @JsonProperty("input_tokens") long inputTokens,
            @JsonProperty("output_tokens") long outputTokens,
            @JsonProperty("total_tokens") long totalTokens,
            @JsonProperty("budget_per_day") Long budgetPerDay,
            @JsonProperty("analysis") String analysis,
            @JsonProperty("paused_records") long pausedRecords) {
    }


    public record Topics(@JsonProperty("topics") List<Topic> topics) {
    }

    /** The answer to a delete, of a topic or of a segment (then {@code segment} is set), with what went with it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Deleted(
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("deleted") boolean deleted,
            @JsonProperty("segments_deleted") Long segmentsDeleted,
            @JsonProperty("documents_deleted") Long documentsDeleted,
            @JsonProperty("records_deleted") Long recordsDeleted,
            @JsonIgnore String generation) {

        public Deleted(String topic, String segment, boolean deleted, Long segmentsDeleted, Long documentsDeleted,
                Long recordsDeleted) {
            this(topic, segment, deleted, segmentsDeleted, documentsDeleted, recordsDeleted, null);
        }

        /** The event the stages that keep derived data act on (of the deleted segment's generation). */
        @JsonIgnore
        public DeletionEvent event() {
            return DeletionEvent.of(topic, segment, Instant.now().toString(), generation);
        }
    }

    private final MongoCollection<Document> registry;
    /** What the RAG service counts per topic (rag/ChunkCounts): topic_stats, beside the registry. */
    private final MongoCollection<Document> stats;
    private final MongoDatabase data;
    private final KafkaTopicAdmin kafka;
    private final String dataTopicPrefix;
    private final List<java.util.function.Consumer<String>> onDelete = new java.util.concurrent.CopyOnWriteArrayList<>();

    public TopicRegistry(MongoCollection<Document> registry, MongoDatabase data, KafkaTopicAdmin kafka,
            String dataTopicPrefix) {
        this(registry, null, data, kafka, dataTopicPrefix);
    }

    /** @param stats the topics' chunk counts (topic_stats); null shows none */
    public TopicRegistry(MongoCollection<Document> registry, MongoCollection<Document> stats, MongoDatabase data,
            KafkaTopicAdmin kafka, String dataTopicPrefix) {
        this.registry = registry;
        this.stats = stats;
        this.data = data;
        this.kafka = kafka;
        this.dataTopicPrefix = dataTopicPrefix;
    }

    public String dataTopic(String topic) {
        return dataTopicPrefix + topic;
    }

    /** The MongoDB collection of a topic's segments and records. */
    MongoCollection<Document> collection(String topic) {
        return data.getCollection(topic);
    }

    /**
     * Finishes what a crash interrupted: a half-created topic is rolled back; a half-deleted one is deleted, and its
     * delete answer returned, so that its deletion event is published (then {@link #forget}) as after any delete.
     */
    public List<Deleted> recover() {
        List<Deleted> deleted = new ArrayList<>();
        for (Document d : registry.find(Filters.in("status", CREATING, DELETING))) {
            String topic = d.getString("_id");
            LOG.warn("Topic '{}' was left in state '{}' by an earlier run; removing it", topic, d.getString("status"));
            if (CREATING.equals(d.getString("status"))) {
                removeEverything(topic);
            } else {
                removeData(topic);
                deleted.add(new Deleted(topic, null, true, null, null, null));
            }
        }
        return deleted;
    }

    /** The last step of a delete, once its deletion event is published: the topic leaves the registry. */
    public void forget(String topic) {
        registry.deleteOne(Filters.and(Filters.eq("_id", topic), Filters.eq("status", DELETING)));
    }

    /**
     * A segment's delete is written down in its topic's registry entry before any of it is deleted, and crossed out
     * once its deletion event is published ({@link #deletionPublished}): a publish that failed (the API answered 500,
     * and a retry finds no segment) is made again by {@link #unpublishedDeletions}.
     */
    void pendSegmentDeletion(String topic, String segment, String generation) {
        registry.updateOne(Filters.eq("_id", topic), Updates.push(PENDING_DELETIONS, new Document("segment", segment)
                .append("generation", generation).append("since", new java.util.Date())));
    }

    /** The deletion event of a topic or segment is acknowledged: a topic leaves the registry, a segment's note goes. */
    public void deletionPublished(@Variable("answer") Deleted deleted) {
        if (deleted.segment() == null) {
            forget(deleted.topic());
        } else {
            registry.updateOne(Filters.eq("_id", deleted.topic()), Updates.pull(PENDING_DELETIONS,
                    Filters.and(Filters.eq("segment", deleted.segment()),
                            Filters.eq("generation", deleted.generation()))));
        }
    }

    /**
     * The deletes whose event was not published after {@code olderThan} (its publish failed, or the gateway stopped
     * before it): segments written down as deleted, and topics left deleting. Published again, then crossed out.
     */
    public List<Deleted> unpublishedDeletions(long olderThanMillis) {
        java.util.Date before = new java.util.Date(System.currentTimeMillis() - olderThanMillis);
        List<Deleted> out = new ArrayList<>();
        for (Document d : registry.find(Filters.or(Filters.exists(PENDING_DELETIONS + ".0"),
                Filters.and(Filters.eq("status", DELETING), Filters.lt("deleting_since", before))))) {
            String topic = d.getString("_id");
            if (DELETING.equals(d.getString("status"))) {
                if (d.getDate("deleting_since") != null && d.getDate("deleting_since").before(before)) {
                    out.add(new Deleted(topic, null, true, null, null, null));
                }
                continue;
            }
            for (Document p : d.getList(PENDING_DELETIONS, Document.class, List.of())) {
                if (p.getDate("since") != null && p.getDate("since").before(before)) {
                    out.add(new Deleted(topic, p.getString("segment"), true, null, null, null,
                            p.getString("generation")));
                }
            }
        }
        return out;
    }

    public Topic createTopic(String topicName) {
        String topic = Names.require("topic", topicName);
        if (Names.RESERVED_TOPICS.contains(topic)) {
            throw ApiException.badRequest("'" + topic + "' is a reserved name: no topic may take it");
        }
        try {
            registry.insertOne(new Document("_id", topic).append("status", CREATING)
                    .append("kafka_topic", dataTopic(topic)).append("collection", topic)
                    .append("created_at", Instant.now().toString()));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                Document existing = registry.find(Filters.eq("_id", topic)).first();
                String status = existing == null ? "unknown" : existing.getString("status");
                throw ApiException.conflict(ACTIVE.equals(status) ? "topic '" + topic + "' already exists"
                        : "topic '" + topic + "' is being " + (CREATING.equals(status) ? "created" : "deleted")
                                + "; try again shortly");
            }
            throw e;
        }
        try {
            if (!kafka.create(dataTopic(topic))) {
                LOG.warn("Kafka topic {} existed without a registry entry; adopting it", dataTopic(topic));
            }
            if (!collectionExists(topic)) {
                data.createCollection(topic);
            }
            // the inference pages are found and sorted by this index (segment, kind, newest first)
            data.getCollection(topic).createIndex(Indexes.compoundIndex(Indexes.ascending("segment", "kind"),
                    Indexes.descending("created_at")));
            registry.updateOne(Filters.eq("_id", topic), Updates.set("status", ACTIVE));
        } catch (RuntimeException e) {
            LOG.error("Creating topic '{}' failed, rolling back: {}", topic, e.getMessage());
            removeEverything(topic);
            throw ApiException.unavailable("topic '" + topic + "' could not be created: " + e.getMessage());
        }
        return new Topic(topic, dataTopic(topic), topic, true, null, null, null, null, null, null, null);
    }

    public Deleted deleteTopic(String topicName) {
        String topic = Names.require("topic", topicName);
        Document claimed = registry.findOneAndUpdate(Filters.and(Filters.eq("_id", topic), Filters.eq("status", ACTIVE)),
                Updates.combine(Updates.set("status", DELETING), Updates.set("deleting_since", new java.util.Date())));
        onDelete.forEach(action -> action.accept(topic));
        if (claimed == null) {
            if (registry.find(Filters.eq("_id", topic)).first() != null) {
                throw ApiException.conflict("topic '" + topic + "' is being created or deleted; try again shortly");
            }
            throw ApiException.notFound("topic '" + topic + "' does not exist");
        }
        MongoCollection<Document> collection = data.getCollection(topic);
        long segments = collection.countDocuments(Filters.eq("kind", "segment"));
        long documents = collection.countDocuments();
        // the registry entry stays (deleting) until the deletion event is published: a crash before that is finished,
        // event included, at the next start (recover)
        removeData(topic);
        return new Deleted(topic, null, true, segments, documents, null);
    }

    /** Runs the action with the topic whenever one is being deleted (caches of what it holds forget it). */
    void onDelete(java.util.function.Consumer<String> action) {
        onDelete.add(action);
    }

    private void removeEverything(String topic) {
        removeData(topic);
        registry.deleteOne(Filters.eq("_id", topic));
    }

    private void removeData(String topic) {
        kafka.delete(dataTopic(topic));
        data.getCollection(topic).drop();
        if (stats != null) {
            stats.deleteOne(Filters.eq("_id", topic));
        }
    }

    /** @param mayRead the topics to list (the caller's readable ones); null for all */
    public Topics listTopics(@Variable("caller") Predicate<String> mayRead) {
        List<Topic> out = new ArrayList<>();
        for (Document d : registry.find(Filters.eq("status", ACTIVE)).sort(Sorts.ascending("_id"))) {
            String topic = d.getString("_id");
            if (mayRead == null || mayRead.test(topic)) {
                out.add(listed(topic, d));
            }
        }
        return new Topics(out);
    }

    private static Long budget(Document d) {
        Object v = d.get(TOKEN_BUDGET);
        return v instanceof Number n ? n.longValue() : null;
    }

    /**
     * Sets (or, with null, removes) the topic's budget of model tokens per UTC day; its analyses wait once it is spent
     * (usage/TokenLedger). Answers the topic as GET /topics lists it.
     */
    public Topic setTokenBudget(String topicName, Object tokensPerDay) {
        String topic = requireTopic(topicName);
        registry.updateOne(Filters.and(Filters.eq("_id", topic), Filters.eq("status", ACTIVE)),
                tokensPerDay == null ? Updates.unset(TOKEN_BUDGET)
                        : Updates.set(TOKEN_BUDGET, ((Number) tokensPerDay).longValue()));
        return listed(topic, registry.find(Filters.eq("_id", topic)).first());
    }

    /**
     * A topic as GET /topics lists it: its segments, the sources captured into it (one record per source, the
     * newest), the chunks the RAG service counted (rag/ChunkCounts; null until it has) and its inferences.
     */
    private Topic listed(String topic, Document d) {
        MongoCollection<Document> c = data.getCollection(topic);
        Document counted = stats == null ? null : stats.find(Filters.eq("_id", topic)).first();
        return new Topic(topic, dataTopic(topic), topic, null, d.getString("created_at"),
                c.countDocuments(Filters.eq("kind", "segment")), c.countDocuments(Filters.eq("kind", "capture")),
                counted != null && counted.get("chunks") instanceof Number n ? n.longValue() : null,
                c.countDocuments(Filters.eq("kind", "inference")), budget(d), null);
    }

    /** The budgets of the topics that have one: tokens per day by topic. */
    public java.util.Map<String, Long> tokenBudgets() {
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        registry.find(Filters.and(Filters.eq("status", ACTIVE), Filters.exists(TOKEN_BUDGET)))
                .forEach(d -> {
                    Long budget = budget(d);
                    if (budget != null) {
                        out.put(d.getString("_id"), budget);
                    }
                });
        return out;
    }

    public List<String> activeTopics() {
        List<String> out = new ArrayList<>();
        registry.find(Filters.eq("status", ACTIVE)).forEach(d -> out.add(d.getString("_id")));
        return out;
    }

    /**
     * Whether a record read from this Kafka topic, written at {@code recordTimestamp} (epoch ms), belongs to the data
     * topic as it exists now: a data topic deleted since, or deleted and created again under the same name (created
     * after the record was written), is another; its offsets must not be committed (measured with Kafka 3.9: a commit
     * for a deleted topic times out, and one after it is created again lands on the new topic, whose first records
     * would then be skipped). A topic that is not a data topic is always current.
     */
    public boolean isCurrentDataTopic(String kafkaTopic, Long recordTimestamp) {
        if (kafkaTopic == null || !kafkaTopic.startsWith(dataTopicPrefix)) {
            return true;
        }
        String topic = kafkaTopic.substring(dataTopicPrefix.length());
        Document d = Names.isValid(topic) ? registry.find(Filters.and(Filters.eq("_id", topic),
                Filters.eq("status", ACTIVE))).first() : null;
        if (d == null) {
            return false;
        }
        try {
            return recordTimestamp == null || d.getString("created_at") == null
                    || Instant.parse(d.getString("created_at")).toEpochMilli() <= recordTimestamp;
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    public boolean topicExists(String topic) {
        return Names.isValid(topic) && registry.find(Filters.and(Filters.eq("_id", topic), Filters.eq("status", ACTIVE)))
                .first() != null;
    }

    /** The topic's name when it exists; a 404 otherwise. */
    public String requireTopic(String topicName) {
        String topic = Names.require("topic", topicName);
        if (!topicExists(topic)) {
            throw ApiException.notFound("topic '" + topic + "' does not exist");
        }
        return topic;
    }

    private boolean collectionExists(String name) {
        for (String n : data.listCollectionNames()) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }
}
