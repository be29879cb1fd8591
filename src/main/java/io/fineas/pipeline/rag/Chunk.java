package io.fineas.pipeline.rag;

import java.util.Map;

import io.fineas.pipeline.util.Hashes;

/**
 * One chunk of one source's text, with the metadata stored beside its vector. Its id is derived from topic, segment,
 * source identity and chunk index, so storing the same source again overwrites instead of duplicating.
 */
public record Chunk(String id, String topic, String segment, String source, int index, String text,
        Map<String, Object> metadata) {

    public static String id(String topic, String segment, String source, int index) {
        return Hashes.sha256Hex(topic + '\u0000' + segment + '\u0000' + source + '\u0000' + index).substring(0, 32);
    }
}
