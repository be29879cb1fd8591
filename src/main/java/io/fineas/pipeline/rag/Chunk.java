package io.fineas.pipeline.rag;

import java.util.Map;

import io.fineas.pipeline.common.Hashes;

/**
 * One chunk of one source's text, with the metadata stored beside its vector. Its id is derived from topic, segment,
 * source identity and chunk index, so storing the same source again overwrites instead of duplicating. The id reads
 * {@code SEGMENTKEY:SOURCEKEY#INDEX}, so the chunks of a segment or of a source can be found by id prefix (Pinecone's
 * serverless indexes list ids by prefix but cannot delete by metadata filter).
 */
public record Chunk(String id, String topic, String segment, String source, int index, String text,
        Map<String, Object> metadata) {

    /**
     * The metadata key of what a source's chunks were made from (its text, the embedding model, the splitter's
     * settings): equal fingerprints mean the stored chunks are already those this record would give.
     */
    public static final String FINGERPRINT = "fingerprint";

    public static String id(String topic, String segment, String source, int index) {
        return sourcePrefix(topic, segment, source) + index;
    }

    /** The id prefix of every chunk of a segment. */
    public static String segmentPrefix(String topic, String segment) {
        return Hashes.sha256Hex(topic + '\u0000' + segment).substring(0, 16) + ":";
    }

    /** The id prefix of every chunk of a source. */
    public static String sourcePrefix(String topic, String segment, String source) {
        return segmentPrefix(topic, segment) + Hashes.sha256Hex(source).substring(0, 24) + "#";
    }
}
