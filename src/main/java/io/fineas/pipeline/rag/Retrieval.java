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
 * BM25 over the chunk text), or both ({@code hybrid}: the two rankings' scores combined, {@link #combine}). Chosen per
 * request ({@code "retrieval"} in /search and /chat) or by configuration (RAG_RETRIEVAL).
 */
public enum Retrieval {
    VECTOR, KEYWORD, HYBRID;

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
     * Hybrid retrieval's fusion: the convex combination of the two rankings' scores, each min-max normalised over its
     * own list (a chunk absent from a list scores 0 there): {@code alpha x meaning + (1 - alpha) x words}, best first,
     * the text and metadata those of the chunk's first appearance. Unlike reciprocal rank fusion, which only sees
     * ranks, it keeps how decisively each list ranks a chunk: a rare name or number that BM25 finds far ahead of the
     * rest is not outranked by chunks both lists rank as middling (Bruch, Gai and Ingber, "An Analysis of Fusion
     * Functions for Hybrid Retrieval", ACM TOIS 2023; docs/BENCHMARKS.md has both on the shipped golden set).
     */
    public static List<SearchHit> combine(List<SearchHit> vector, List<SearchHit> keyword, double alpha) {
        Map<String, SearchHit> first = new LinkedHashMap<>();
        Map<String, Double> scores = new HashMap<>();
        addNormalised(vector, alpha, first, scores);
        addNormalised(keyword, 1 - alpha, first, scores);
        List<SearchHit> fused = new ArrayList<>();
        first.forEach((id, hit) -> fused.add(new SearchHit(id, scores.get(id), hit.text(), hit.metadata())));
        fused.sort((a, b) -> Double.compare(b.score(), a.score()));
        return fused;
    }

    private static void addNormalised(List<SearchHit> ranking, double weight, Map<String, SearchHit> first,
            Map<String, Double> scores) {
        if (ranking.isEmpty()) {
            return;
        }
        double max = ranking.stream().mapToDouble(SearchHit::score).max().orElse(0);
        double min = ranking.stream().mapToDouble(SearchHit::score).min().orElse(0);
        for (SearchHit hit : ranking) {
            first.putIfAbsent(hit.id(), hit);
            double normalised = max > min ? (hit.score() - min) / (max - min) : 1.0;
            scores.merge(hit.id(), weight * normalised, Double::sum);
        }
    }
}
