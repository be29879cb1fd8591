package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.model.embedding.EmbeddingModel;
import io.fineas.pipeline.catalog.Names;
import io.fineas.pipeline.common.ApiException;

/**
 * POST /search {"query", "topic"?, "segment"?, "k"?, "retrieval"?}: the stored chunks that best answer the query, with
 * scores, found by meaning, by words or both ({@link Retrieval}). Also the chat's retrieval step.
 */
public final class SemanticSearch {

    public static final int MAX_K = 50;

    private final EmbeddingModel model;
    private final VectorStore store;
    private final LiveSegments live;
    private final Retrieval defaultRetrieval;
    private final double hybridAlpha;

    /** @param hybridAlpha hybrid retrieval's weight of meaning against words, 0 to 1 ({@link Retrieval#combine}) */
    public SemanticSearch(EmbeddingModel model, VectorStore store, LiveSegments live, Retrieval defaultRetrieval,
            double hybridAlpha) {
        if (!(hybridAlpha >= 0 && hybridAlpha <= 1)) {
            throw new IllegalArgumentException("RAG_HYBRID_ALPHA must be from 0 to 1, not " + hybridAlpha);
        }
        this.hybridAlpha = hybridAlpha;
        this.model = model;
        this.store = store;
        this.live = live;
        this.defaultRetrieval = defaultRetrieval;
    }

    /**
     * The retrieval a request gets: its own or the configured one. A store without keyword search (Pinecone) answers
     * hybrid requests by vector and refuses keyword ones.
     */
    public Retrieval retrieval(Object requested) {
        Retrieval mode = Retrieval.parse(requested, defaultRetrieval);
        if (mode != Retrieval.VECTOR && !store.searchesKeywords()) {
            if (mode == Retrieval.KEYWORD) {
                throw ApiException.badRequest("keyword retrieval needs the embedded index; " + store.describe()
                        + " searches vectors only");
            }
            return Retrieval.VECTOR;
        }
        return mode;
    }

    /** As {@link #retrieval}, never refusing: a mode this service does not know or serve is its default. */
    public Retrieval retrievalOrDefault(Object requested) {
        try {
            return retrieval(requested);
        } catch (ApiException e) {
            return retrieval(null);
        }
    }

    /**
     * The k best chunks of live segments by the retrieval given: a chunk of a segment deleted (or deleted and created
     * again) after it was stored, whose vectors a late record brought back after the deletion, is never an answer.
     */
    public List<SearchHit> hits(String query, String topic, String segment, int k, Retrieval retrieval) {
        // more candidates than asked for: some may belong to segments deleted since, and the combination wants depth
        int candidates = Math.max(2 * k, 20);
        List<SearchHit> found = switch (retrieval) {
            case VECTOR -> store.search(model.embed(query).content().vector(), candidates, topic, segment);
            case KEYWORD -> store.keywordSearch(query, candidates, topic, segment);
            case HYBRID -> Retrieval.combine(
                    store.search(model.embed(query).content().vector(), candidates, topic, segment),
                    store.keywordSearch(query, candidates, topic, segment), hybridAlpha);
        };
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
    public record Results(
            @JsonProperty("query") String query,
            @JsonProperty("retrieval") String retrieval,
            @JsonProperty("results") List<SearchHit> results) {
    }

    /** The request's fields as the JSON body holds them (its schema checked first); k is 5 when absent. */
    public Results search(Object queryValue, Object topicValue, Object segmentValue, Object kValue,
            Object retrievalValue) {
        if (!(queryValue instanceof String query) || query.isBlank()) {
            throw ApiException.badRequest("'query' is required: a non-empty string");
        }
        String topic = topicValue == null ? null : Names.require("topic", topicValue);
        String segment = segmentValue == null ? null : Names.require("segment", segmentValue);
        Object kGiven = kValue == null ? Integer.valueOf(5) : kValue;
        if (!(kGiven instanceof Integer k) || k < 1 || k > MAX_K) {
            throw ApiException.badRequest("'k' must be a whole number from 1 to " + MAX_K);
        }
        Retrieval retrieval = retrieval(retrievalValue);
        return new Results(query, retrieval.label(), hits(query, topic, segment, k, retrieval));
    }
}
