package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.langchain4j.model.embedding.EmbeddingModel;
import io.fineas.pipeline.util.ApiException;
import io.fineas.pipeline.util.Names;

/** POST /search {"query", "topic"?, "segment"?, "k"?}: the stored chunks nearest to the query, with scores. */
public final class SemanticSearch {

    public static final int MAX_K = 50;

    private final EmbeddingModel model;
    private final VectorStore store;

    public SemanticSearch(EmbeddingModel model, VectorStore store) {
        this.model = model;
        this.store = store;
    }

    public List<SearchHit> hits(String query, String topic, String segment, int k) {
        return store.search(model.embed(query).content().vector(), k, topic, segment);
    }

    public Map<String, Object> search(Map<String, Object> request) {
        if (!(request.get("query") instanceof String query) || query.isBlank()) {
            throw ApiException.badRequest("'query' is required: a non-empty string");
        }
        String topic = request.get("topic") == null ? null : Names.require("topic", request.get("topic"));
        String segment = request.get("segment") == null ? null : Names.require("segment", request.get("segment"));
        Object kValue = request.getOrDefault("k", 5);
        if (!(kValue instanceof Integer k) || k < 1 || k > MAX_K) {
            throw ApiException.badRequest("'k' must be a whole number from 1 to " + MAX_K);
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (SearchHit h : hits(query, topic, segment, k)) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", h.id());
            r.put("score", h.score());
            r.put("text", h.text());
            r.put("metadata", h.metadata());
            results.add(r);
        }
        return Map.of("query", query, "results", results);
    }
}
