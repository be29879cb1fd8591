package io.fineas.pipeline.rag;

import java.util.Map;

/** A stored chunk found for a query, with its similarity score (higher is closer). */
public record SearchHit(String id, double score, String text, Map<String, Object> metadata) {
}
