package io.fineas.pipeline.gateway;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.QueryParameters;
import org.apache.camel.Header;
import org.bson.Document;

/**
 * GET /topics/{topic}/segments/{segment}/inferences: a page of the segment's stored inferences, newest first, found
 * and sorted by the index the topic's collection gets when it is created (segment, kind, created_at descending).
 */
public final class InferencePages {

    static final int MAX_PAGE = 10_000;
    static final int MAX_SIZE = 100;

    /** One page: the inferences as stored (their fields are the Inference message's), and how many there are. */
    public record Page(
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("page") int page,
            @JsonProperty("size") int size,
            @JsonProperty("total") long total,
            @JsonProperty("inferences") List<Document> inferences) {
    }

    private final TopicRegistry topics;
    private final Segments segments;
    private final MongoDatabase data;

    public InferencePages(TopicRegistry topics, Segments segments, MongoDatabase data) {
        this.topics = topics;
        this.segments = segments;
        this.data = data;
    }

    public Page page(@Header("topic") String topicName, @Header("segment") String segmentName,
            @Header("page") Object pageValue, @Header("size") Object sizeValue) {
        String topic = topics.requireTopic(topicName);
        String segment = segments.requireSegment(topic, segmentName);
        // bounded: the skip of the last page (page - 1) x size stays far inside an int and a cheap query
        int page = QueryParameters.wholeNumber("page", pageValue, 1, MAX_PAGE);
        int size = QueryParameters.wholeNumber("size", sizeValue, 20, MAX_SIZE);
        var filter = Filters.and(Filters.eq("kind", "inference"), Filters.eq("segment", segment));
        MongoCollection<Document> collection = data.getCollection(topic);
        List<Document> items = new ArrayList<>();
        for (Document d : collection.find(filter).sort(Sorts.descending("created_at")).skip((page - 1) * size)
                .limit(size)) {
            d.put("_id", String.valueOf(d.get("_id")));
            // the stores' own version field (InferenceStore), not part of the inference
            d.remove("captured_at_ms");
            items.add(d);
        }
        return new Page(topic, segment, page, size, collection.countDocuments(filter), items);
    }
}
