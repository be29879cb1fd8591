package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.model.embedding.EmbeddingModel;
import io.fineas.pipeline.catalog.Names;
import io.fineas.pipeline.common.ApiException;

/** POST /search {"query", "topic"?, "segment"?, "k"?}: the stored chunks nearest to the query, with scores. */
public final class SemanticSearch {

    public static final int MAX_K = 50;

    private final EmbeddingModel model;
    private final VectorStore store;
    private final LiveSegments live;

    public SemanticSearch(EmbeddingModel model, VectorStore store, LiveSegments live) {
        this.model = model;
        this.store = store;
        this.live = live;
    }

    /**
     * The k nearest chunks of live segments: a chunk of a segment deleted (or deleted and created again) after it was
     * stored, whose vectors a late record brought back after the deletion, is never an answer.
     */
    public List<SearchHit> hits(String query, String topic, String segment, int k) {
        List<SearchHit> found = store.search(model.embed(query).content().vector(), k * 2, topic, segment);
        LiveSegments liveness = live.memoized();
        List<SearchHit> out = new ArrayList<>();
        for (SearchHit h : found) {
            if (out.size() == k) {
                break;
            }
            String t = (String) h.metadata().get("topic");
            String s = (String) h.metadata().get("segment");
            String g = h.metadata().get("generation") instanceof String gen ? gen : null;
            if (t != null && s != null && liveness.isLive(t, s, g)) {
                out.add(h);
            }
        }
        return out;
    }

    /** POST /search's answer: the best chunks, best first, with their provenance. */
    public record Results(@JsonProperty("query") String query, @JsonProperty("results") List<SearchHit> results) {
    }

    public Results search(Map<String, Object> request) {
        if (!(request.get("query") instanceof String query) || query.isBlank()) {
            throw ApiException.badRequest("'query' is required: a non-empty string");
        }
        String topic = request.get("topic") == null ? null : Names.require("topic", request.get("topic"));
        String segment = request.get("segment") == null ? null : Names.require("segment", request.get("segment"));
        Object kValue = request.getOrDefault("k", 5);
        if (!(kValue instanceof Integer k) || k < 1 || k > MAX_K) {
            throw ApiException.badRequest("'k' must be a whole number from 1 to " + MAX_K);
        }
        return new Results(query, hits(query, topic, segment, k));
    }
}
