package io.fineas.pipeline.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topics and segments. A topic is a Kafka data topic ({@code dataTopicPrefix + name}) mapped to the MongoDB
 * collection {@code name} in the data database; a segment is a document {@code {_id: "segment:NAME", kind:
 * "segment"}} in that collection, and every record stored for it (inferences, captures) is a document of its own
 * with {@code segment: NAME}, so no single document grows without bound.
 *
 * <p>The registry (system database, collection {@code topics}) records each topic with a status, so a create or
 * delete that fails half way is rolled back or finished, never left half done.
 */
public final class TopicRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(TopicRegistry.class);
    private static final String ACTIVE = "active";
    private static final String CREATING = "creating";
    private static final String DELETING = "deleting";

    static final int MAX_PAGE = 10_000;

    private final MongoCollection<Document> registry;
    private final MongoDatabase data;
    private final KafkaTopicAdmin kafka;
    private final String dataTopicPrefix;

    public TopicRegistry(MongoCollection<Document> registry, MongoDatabase data, KafkaTopicAdmin kafka,
            String dataTopicPrefix) {
        this.registry = registry;
        this.data = data;
        this.kafka = kafka;
        this.dataTopicPrefix = dataTopicPrefix;
    }

    public String dataTopic(String topic) {
        return dataTopicPrefix + topic;
    }

    /** The event other stages act on after a delete answer ({topic, segment?}). */
    public DeletionEvent deletionEvent(Map<String, Object> deleteAnswer) {
        return DeletionEvent.of((String) deleteAnswer.get("topic"), (String) deleteAnswer.get("segment"),
                Instant.now().toString());
    }

    /**
     * Finishes what a crash interrupted: a half-created topic is rolled back; a half-deleted one is deleted, and its
     * delete answer returned, so that its deletion event is published (then {@link #forget}) as after any delete.
     */
    public List<Map<String, Object>> recover() {
        List<Map<String, Object>> deleted = new ArrayList<>();
        for (Document d : registry.find(Filters.in("status", CREATING, DELETING))) {
            String topic = d.getString("_id");
            LOG.warn("Topic '{}' was left in state '{}' by an earlier run; removing it", topic, d.getString("status"));
            if (CREATING.equals(d.getString("status"))) {
                removeEverything(topic);
            } else {
                removeData(topic);
                Map<String, Object> answer = new LinkedHashMap<>();
                answer.put("topic", topic);
                answer.put("deleted", true);
                deleted.add(answer);
            }
        }
        return deleted;
    }

    /** The last step of a delete, once its deletion event is published: the topic leaves the registry. */
    public void forget(String topic) {
        registry.deleteOne(Filters.and(Filters.eq("_id", topic), Filters.eq("status", DELETING)));
    }

    public Map<String, Object> createTopic(String topicName) {
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
        return describeTopic(topic, true);
    }

    public Map<String, Object> deleteTopic(String topicName) {
        String topic = Names.require("topic", topicName);
        Document claimed = registry.findOneAndUpdate(Filters.and(Filters.eq("_id", topic), Filters.eq("status", ACTIVE)),
                Updates.set("status", DELETING));
        forgetRecent(topic, null);
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
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("topic", topic);
        answer.put("deleted", true);
        answer.put("segments_deleted", segments);
        answer.put("documents_deleted", documents);
        return answer;
    }

    private void removeEverything(String topic) {
        removeData(topic);
        registry.deleteOne(Filters.eq("_id", topic));
    }

    private void removeData(String topic) {
        kafka.delete(dataTopic(topic));
        data.getCollection(topic).drop();
    }

    /** @param mayRead the topics to list (the caller's readable ones); null for all */
    public Map<String, Object> listTopics(java.util.function.Predicate<String> mayRead) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Document d : registry.find(Filters.eq("status", ACTIVE)).sort(Sorts.ascending("_id"))) {
            String topic = d.getString("_id");
            if (mayRead == null || mayRead.test(topic)) {
                Map<String, Object> t = describeTopic(topic, false);
                t.put("created_at", d.getString("created_at"));
                t.put("segments", data.getCollection(topic).countDocuments(Filters.eq("kind", "segment")));
                out.add(t);
            }
        }
        return Map.of("topics", out);
    }

    public List<String> activeTopics() {
        List<String> out = new ArrayList<>();
        registry.find(Filters.eq("status", ACTIVE)).forEach(d -> out.add(d.getString("_id")));
        return out;
    }

    public boolean topicExists(String topic) {
        return Names.isValid(topic) && registry.find(Filters.and(Filters.eq("_id", topic), Filters.eq("status", ACTIVE)))
                .first() != null;
    }

    public boolean segmentExists(String topic, String segment) {
        return segmentGeneration(topic, segment) != null;
    }

    /** Segments found to exist lately, for /collect's check only: "topic/segment" to when the answer goes stale. */
    private final Map<String, Long> recentlySeen = new java.util.concurrent.ConcurrentHashMap<>();
    private static final long RECENT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    /**
     * Whether the segment exists, as /collect asks it on every request: a segment seen in the last two seconds is
     * not looked up again. Only existence is remembered (a segment created a moment ago is found at once); deleting
     * it on this instance forgets it at once, on another instance within two seconds (an alert for a segment deleted
     * meanwhile finds no segment at the processor and runs nothing). Liveness checks of records never use this.
     */
    public boolean segmentExistsRecently(String topic, String segment) {
        String key = topic + "/" + segment;
        Long until = recentlySeen.get(key);
        long now = System.nanoTime();
        if (until != null && until - now > 0) {
            return true;
        }
        if (!segmentExists(topic, segment)) {
            recentlySeen.remove(key);
            return false;
        }
        if (recentlySeen.size() > 100_000) {
            recentlySeen.clear();
        }
        recentlySeen.put(key, now + RECENT_NANOS);
        return true;
    }

    private void forgetRecent(String topic, String segment) {
        recentlySeen.keySet().removeIf(k -> segment == null ? k.startsWith(topic + "/") : k.equals(topic + "/" + segment));
    }

    /**
     * The generation of a segment: a new one each time it is created (a segment deleted and created again, or one of
     * a topic deleted and created again, is another); "" for a segment created before generations existed; null when
     * the segment does not exist.
     */
    public String segmentGeneration(String topic, String segment) {
        if (!topicExists(topic) || !Names.isValid(segment)) {
            return null;
        }
        Document d = data.getCollection(topic).find(Filters.eq("_id", segmentId(segment))).first();
        return d == null ? null : d.get("generation") instanceof String g ? g : "";
    }

    /**
     * Whether what was captured for the segment in that generation still belongs to it: the segment exists and, when
     * the record carries a generation, it is the segment's current one.
     */
    public boolean isLive(String topic, String segment, String generation) {
        String current = segmentGeneration(topic, segment);
        return current != null && (generation == null || generation.equals(current));
    }

    /** Topics (active) that hold a segment of that name. */
    public List<String> topicsWithSegment(String segment) {
        List<String> out = new ArrayList<>();
        for (Document d : registry.find(Filters.eq("status", ACTIVE))) {
            if (segmentExists(d.getString("_id"), segment)) {
                out.add(d.getString("_id"));
            }
        }
        return out;
    }

    public Map<String, Object> createSegment(String topicName, String segmentName) {
        String topic = requireTopic(topicName);
        String segment = Names.require("segment", segmentName);
        try {
            data.getCollection(topic).insertOne(new Document("_id", segmentId(segment)).append("kind", "segment")
                    .append("segment", segment).append("generation", java.util.UUID.randomUUID().toString())
                    .append("created_at", Instant.now().toString()));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw ApiException.conflict("segment '" + segment + "' already exists under topic '" + topic + "'");
            }
            throw e;
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("topic", topic);
        answer.put("segment", segment);
        answer.put("created", true);
        return answer;
    }

    public Map<String, Object> deleteSegment(String topicName, String segmentName) {
        String topic = requireTopic(topicName);
        String segment = Names.require("segment", segmentName);
        MongoCollection<Document> collection = data.getCollection(topic);
        forgetRecent(topic, segment);
        if (collection.deleteOne(Filters.eq("_id", segmentId(segment))).getDeletedCount() == 0) {
            throw ApiException.notFound("segment '" + segment + "' does not exist under topic '" + topic + "'");
        }
        long records = collection.deleteMany(Filters.eq("segment", segment)).getDeletedCount();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("topic", topic);
        answer.put("segment", segment);
        answer.put("deleted", true);
        answer.put("records_deleted", records);
        return answer;
    }

    public Map<String, Object> listSegments(String topicName) {
        String topic = requireTopic(topicName);
        List<Map<String, Object>> out = new ArrayList<>();
        MongoCollection<Document> collection = data.getCollection(topic);
        for (Document d : collection.find(Filters.eq("kind", "segment")).sort(Sorts.ascending("segment"))) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("segment", d.getString("segment"));
            s.put("created_at", d.getString("created_at"));
            out.add(s);
        }
        return Map.of("topic", topic, "segments", out);
    }

    /** A page of the segment's stored inferences, newest first. */
    public Map<String, Object> inferences(String topicName, String segmentName, Object pageValue, Object sizeValue) {
        String topic = requireTopic(topicName);
        String segment = Names.require("segment", segmentName);
        if (!segmentExists(topic, segment)) {
            throw ApiException.notFound("segment '" + segment + "' does not exist under topic '" + topic + "'");
        }
        // bounded: the skip of the last page (page - 1) x size stays far inside an int and a cheap query
        int page = positive("page", pageValue, 1, MAX_PAGE);
        int size = positive("size", sizeValue, 20, 100);
        var filter = Filters.and(Filters.eq("kind", "inference"), Filters.eq("segment", segment));
        MongoCollection<Document> collection = data.getCollection(topic);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Document d : collection.find(filter).sort(Sorts.descending("created_at")).skip((page - 1) * size)
                .limit(size)) {
            Map<String, Object> m = new LinkedHashMap<>(d);
            m.put("_id", String.valueOf(d.get("_id")));
            items.add(m);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("topic", topic);
        answer.put("segment", segment);
        answer.put("page", page);
        answer.put("size", size);
        answer.put("total", collection.countDocuments(filter));
        answer.put("inferences", items);
        return answer;
    }

    private static int positive(String name, Object value, int fallback, int max) {
        if (value == null || value.toString().isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(value.toString());
            if (v >= 1 && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("'" + name + "' must be a whole number from 1 to " + max);
    }

    private String requireTopic(String topicName) {
        String topic = Names.require("topic", topicName);
        if (!topicExists(topic)) {
            throw ApiException.notFound("topic '" + topic + "' does not exist");
        }
        return topic;
    }

    private Map<String, Object> describeTopic(String topic, boolean created) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("topic", topic);
        t.put("kafka_topic", dataTopic(topic));
        t.put("collection", topic);
        if (created) {
            t.put("created", true);
        }
        return t;
    }

    private boolean collectionExists(String name) {
        for (String n : data.listCollectionNames()) {
            if (n.equals(name)) {
                return true;
            }
        }
        return false;
    }

    static String segmentId(String segment) {
        return "segment:" + segment;
    }
}
