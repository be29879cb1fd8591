package io.fineas.pipeline.network;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.camel.Header;

/**
 * Canaries: tasks whose content the pipeline knows and no node can guess. A canary's id and its page come from a
 * secret the processors and the gateway share (NETWORK_CANARY_SECRET, or derived from PIPELINE_ADMIN_KEY): the id looks
 * like any task id, and the page (served by the gateway at GET /canary/{id}, or by the canary source the config names)
 * holds sentences picked by an HMAC of the id. A node that submits a canary without fetching it cannot match its hash.
 */
public final class Canaries {

    private static final List<String> SUBJECTS = List.of("The quarterly report", "The board", "Revenue", "The filing",
            "Net income", "The outlook", "Operating margin", "The dividend", "Guidance", "The audit committee",
            "Free cash flow", "The subsidiary", "Capital expenditure", "The merger", "Headcount", "The credit line");
    private static final List<String> VERBS = List.of("rose", "fell", "was restated", "was confirmed", "doubled",
            "was revised", "held steady", "was deferred", "improved", "narrowed", "widened", "was approved");
    private static final List<String> WHEN = List.of("in the first quarter", "in the second quarter",
            "in the third quarter", "in the fourth quarter", "year over year", "after the review", "in March",
            "in June", "in September", "in December", "since the last filing", "before the vote");

    private final byte[] secret;

    public Canaries(String secret) {
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("a canary secret is required");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** The id of a run's k-th canary: 32 hex characters, like a task id, that only the secret's holders can make. */
    public String id(String processorId, String runId, int k) {
        return HexFormat.of().formatHex(mac("canary-id/" + processorId + "/" + runId + "/" + k)).substring(0, 32);
    }

    /** The canary's page: a short HTML news item whose figures and words come from the HMAC of its id. */
    public String page(String canaryId) {
        byte[] h = mac("canary-page/" + canaryId);
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            body.append("<p>").append(SUBJECTS.get((h[i * 4] & 0xff) % SUBJECTS.size())).append(' ')
                    .append(VERBS.get((h[i * 4 + 1] & 0xff) % VERBS.size())).append(" by ")
                    .append(((h[i * 4 + 2] & 0xff) % 97) + 1).append('.').append((h[i * 4 + 3] & 0xff) % 10)
                    .append(" percent ").append(WHEN.get((h[16 + i] & 0xff) % WHEN.size())).append(".</p>");
        }
        String title = "Bulletin " + HexFormat.of().formatHex(h, 20, 24);
        return "<!doctype html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1>" + body
                + "</body></html>";
    }

    /**
     * The page of GET /canary/{id}: any id of the tasks' form has a page (so that asking does not tell a canary from
     * a guess); anything else is 404.
     */
    public String servedPage(@Header("id") String id) {
        if (id == null || !id.matches("^[0-9a-f]{32}$")) {
            throw io.fineas.pipeline.common.ApiException.notFound("no page '" + (id == null ? "" : id) + "'");
        }
        return page(id);
    }
}
