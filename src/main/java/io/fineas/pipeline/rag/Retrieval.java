package io.fineas.pipeline.rag;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.fineas.pipeline.common.ApiException;

/**
 * How chunks are found for a query: by meaning ({@code vector}: the nearest embeddings), by words ({@code keyword}:
 * BM25 over the chunk text), or both ({@code hybrid}: the two rankings fused by reciprocal rank fusion). Chosen per
 * request ({@code "retrieval"} in /search and /chat) or by configuration (RAG_RETRIEVAL).
 */
public enum Retrieval {
    VECTOR, KEYWORD, HYBRID;

    /** The constant of reciprocal rank fusion (Cormack, Clarke and Buettcher, 2009): a rank r adds 1 / (60 + r). */
    static final int RRF_K = 60;

    /** The mode named (vector, keyword, hybrid; any case); the fallback when none is named; 400 otherwise. */
    public static Retrieval parse(Object name, Retrieval fallback) {
        if (name == null) {
            return fallback;
        }
        try {
            return valueOf(name.toString().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("'retrieval' must be vector, keyword or hybrid");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reciprocal rank fusion of rankings of the same chunks (best first): each chunk scores the sum of 1 / (60 +
     * rank) over the rankings that hold it (rank from 1), and the fused ranking is by that score, the text and
     * metadata those of the chunk's first appearance. langchain4j's ReciprocalRankFuser fuses the same way but returns
     * only the order; the fused score is what /search shows.
     */
    public static List<SearchHit> fuse(List<List<SearchHit>> rankings) {
        Map<String, SearchHit> first = new LinkedHashMap<>();
        Map<String, Double> scores = new HashMap<>();
        for (List<SearchHit> ranking : rankings) {
            for (int i = 0; i < ranking.size(); i++) {
                SearchHit hit = ranking.get(i);
                first.putIfAbsent(hit.id(), hit);
                scores.merge(hit.id(), 1.0 / (RRF_K + i + 1), Double::sum);
            }
        }
        List<SearchHit> fused = new ArrayList<>();
        first.forEach((id, hit) -> fused.add(new SearchHit(id, scores.get(id), hit.text(), hit.metadata())));
        // stable: equal scores keep the order of first appearance (the first ranking's order)
        fused.sort((a, b) -> Double.compare(b.score(), a.score()));
        return fused;
    }
}
