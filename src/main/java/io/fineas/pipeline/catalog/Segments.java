package io.fineas.pipeline.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.Header;
import org.bson.Document;

/**
 * The segments of the topics. A segment is a document {@code {_id: "segment:NAME", kind: "segment"}} in its topic's
 * collection, and every record stored for it (inferences, captures) is a document of its own with {@code segment:
 * NAME}, so no single document grows without bound. Each creation of a segment is a new generation: what was
 * captured for an earlier one (the segment deleted and created again) is stale.
 */
public final class Segments {

    private static final long RECENT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** A segment as the API shows it: created (POST /segments, with its topic) or listed (with when). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Segment(
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("created") Boolean created,
            @JsonProperty("created_at") String createdAt) {
    }

    public record SegmentList(@JsonProperty("topic") String topic, @JsonProperty("segments") List<Segment> segments) {
    }

    private final TopicRegistry topics;
    /** Segments found to exist lately, for /collect's check only: "topic/segment" to when the answer goes stale. */
    private final Map<String, Long> recentlySeen = new ConcurrentHashMap<>();

    public Segments(TopicRegistry topics) {
        this.topics = topics;
        topics.onDelete(topic -> recentlySeen.keySet().removeIf(k -> k.startsWith(topic + "/")));
    }

    public boolean segmentExists(String topic, String segment) {
        return segmentGeneration(topic, segment) != null;
    }

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

    /**
     * The generation of a segment: a new one each time it is created (a segment deleted and created again, or one of
     * a topic deleted and created again, is another); "" for a segment created before generations existed; null when
     * the segment does not exist.
     */
    public String segmentGeneration(String topic, String segment) {
        if (!topics.topicExists(topic) || !Names.isValid(segment)) {
            return null;
        }
        Document d = topics.collection(topic).find(Filters.eq("_id", segmentId(segment))).first();
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
        for (String topic : topics.activeTopics()) {
            if (segmentExists(topic, segment)) {
                out.add(topic);
            }
        }
        return out;
    }

    public Segment createSegment(String topicName, String segmentName) {
        String topic = topics.requireTopic(topicName);
        String segment = Names.require("segment", segmentName);
        try {
            topics.collection(topic).insertOne(new Document("_id", segmentId(segment)).append("kind", "segment")
                    .append("segment", segment).append("generation", UUID.randomUUID().toString())
                    .append("created_at", Instant.now().toString()));
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw ApiException.conflict("segment '" + segment + "' already exists under topic '" + topic + "'");
            }
            throw e;
        }
        return new Segment(topic, segment, true, null);
    }

    public TopicRegistry.Deleted deleteSegment(String topicName, String segmentName) {
        String topic = topics.requireTopic(topicName);
        String segment = Names.require("segment", segmentName);
        MongoCollection<Document> collection = topics.collection(topic);
        recentlySeen.remove(topic + "/" + segment);
        String generation = segmentGeneration(topic, segment);
        if (generation == null) {
            throw ApiException.notFound("segment '" + segment + "' does not exist under topic '" + topic + "'");
        }
        String deleted = generation.isEmpty() ? null : generation;
        // written down first: its deletion event is published even when this request's publish fails
        topics.pendSegmentDeletion(topic, segment, deleted);
        if (collection.deleteOne(Filters.eq("_id", segmentId(segment))).getDeletedCount() == 0) {
            topics.deletionPublished(new TopicRegistry.Deleted(topic, segment, true, null, null, null, deleted));
            throw ApiException.notFound("segment '" + segment + "' does not exist under topic '" + topic + "'");
        }
        long records = collection.deleteMany(Filters.eq("segment", segment)).getDeletedCount();
        return new TopicRegistry.Deleted(topic, segment, true, null, null, records, deleted);
    }

    public SegmentList listSegments(@Header("topic") String topicName) {
        String topic = topics.requireTopic(topicName);
        List<Segment> out = new ArrayList<>();
        for (Document d : topics.collection(topic).find(Filters.eq("kind", "segment")).sort(Sorts.ascending("segment"))) {
            out.add(new Segment(null, d.getString("segment"), null, d.getString("created_at")));
        }
        return new SegmentList(topic, out);
    }

    /** The segment's name when it exists under the topic; a 404 otherwise. */
    public String requireSegment(String topic, String segmentName) {
        String segment = Names.require("segment", segmentName);
        if (!segmentExists(topic, segment)) {
            throw ApiException.notFound("segment '" + segment + "' does not exist under topic '" + topic + "'");
        }
        return segment;
    }

    static String segmentId(String segment) {
        return "segment:" + segment;
    }
}
