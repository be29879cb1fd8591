package io.fineas.pipeline.network;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The texts a node signs, one line per field after a line naming what is signed (so that a signature over one kind
 * can never be taken for another). Fields that are free text (operator, contact) may not hold a line break: the
 * join request's schema refuses one.
 */
public final class Envelopes {

    /** The canonical JSON of a data list item: keys sorted at every level, no spaces. */
    private static final ObjectMapper CANONICAL = new ObjectMapper()
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    private Envelopes() {
    }

    /** What a joining node signs: the server's challenge, its public key and who operates it. */
    public static String join(String challenge, String publicKey, String operator, String contact) {
        return String.join("\n", "fineas-join-v1", challenge, publicKey, operator, contact);
    }

    /** What a node signs for a request without a signed body (GET /node/tasks). */
    public static String request(String method, String path, String nodeId, String time, String nonce) {
        return String.join("\n", "fineas-request-v1", method, path, nodeId, time, nonce);
    }

    /** What a node signs for a submission: the task, its item, the content's hash, when, who, and a nonce. */
    public static String submission(String taskId, Map<String, Object> item, String contentHash, String capturedAt,
            String nodeId, String nonce) {
        return String.join("\n", "fineas-submission-v1", taskId, canonical(item), contentHash, capturedAt, nodeId,
                nonce);
    }

    static String canonical(Map<String, Object> item) {
        try {
            return CANONICAL.writeValueAsString(item == null ? Map.of() : item);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the item cannot be written as JSON", e);
        }
    }
}
