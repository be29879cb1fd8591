package io.fineas.pipeline.rag;

/**
 * Whether what was captured for a topic's segment in a given generation still belongs to a live segment: the segment
 * exists, and it is the same creation of it (a segment deleted and created again has a new generation). Records, chunks
 * and inferences of an older generation are dropped wherever they are met (ingestion, analysis, search, chat), so
 * records still in flight when a topic or segment was deleted never bring anything back.
 */
@FunctionalInterface
public interface LiveSegments {

    /** Everything is live (tests of a stage alone). */
    LiveSegments ALL = (topic, segment, generation) -> true;

    /** @param generation the generation the record was captured in; null for a record that carries none */
    boolean isLive(String topic, String segment, String generation);

    /** The same answers, each asked once: for one batch or one search, where many records share a segment. */
    default LiveSegments memoized() {
        java.util.Map<String, Boolean> answers = new java.util.HashMap<>();
        return (topic, segment, generation) -> answers.computeIfAbsent(
                topic + '\u0000' + segment + '\u0000' + generation, k -> isLive(topic, segment, generation));
    }

    /**
     * The same answers, each kept for {@code ttl}: for a stage that asks per record and whose result is checked again
     * before it is stored (the analysis: its inference is dropped at storage if the segment went meanwhile).
     */
    default LiveSegments cachedFor(java.time.Duration ttl) {
        com.github.benmanes.caffeine.cache.Cache<String, Boolean> answers = com.github.benmanes.caffeine.cache.Caffeine
                .newBuilder().expireAfterWrite(ttl).maximumSize(10_000).build();
        return (topic, segment, generation) -> answers.get(topic + '\u0000' + segment + '\u0000' + generation,
                k -> isLive(topic, segment, generation));
    }
}
