package io.fineas.pipeline.rag;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * One chunk of one source's text, with the metadata stored beside its vector. Its id is derived from topic, segment,
 * source identity and chunk index, so storing the same source again overwrites instead of duplicating.
 */
public record Chunk(String id, String topic, String segment, String source, int index, String text,
        Map<String, Object> metadata) {

    public static String id(String topic, String segment, String source, int index) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest((topic + '\u0000' + segment + '\u0000' + source
                    + '\u0000' + index).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
