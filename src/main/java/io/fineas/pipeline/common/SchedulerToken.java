package io.fineas.pipeline.common;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What tells the gateway a POST /collect comes from the scheduler (X-Scheduler-Token), the only caller that may say
 * which schedule entry asks (X-Schedule-Entry, kept in the run's lineage): any write key could claim one before. The
 * token is SCHEDULER_TOKEN when set; else derived from PIPELINE_ADMIN_KEY (every replica of a deployment has it, so a
 * scheduler may post to any gateway replica); else, on the embedded default, one made at start and known only to
 * this process, where the scheduler posts to its own gateway. It never travels further than the gateway.
 */
public final class SchedulerToken {

    private static final String PROCESS_TOKEN = random();

    private final byte[] token;

    private SchedulerToken(String token) {
        this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    public static SchedulerToken of(String configured, String adminKey) {
        if (configured != null && !configured.isBlank()) {
            return new SchedulerToken(configured.strip());
        }
        if (adminKey != null && !adminKey.isBlank()) {
            return new SchedulerToken(hmac(adminKey, "fineas scheduler token"));
        }
        return new SchedulerToken(PROCESS_TOKEN);
    }

    /**
     * A secret every replica of a deployment shares without one more setting: the configured value, else one derived
     * from PIPELINE_ADMIN_KEY for this purpose, else one made at start for this process alone (the embedded default).
     */
    public static String secret(String configured, String adminKey, String purpose) {
        if (configured != null && !configured.isBlank()) {
            return configured.strip();
        }
        if (adminKey != null && !adminKey.isBlank()) {
            return hmac(adminKey, purpose);
        }
        return hmac(PROCESS_TOKEN, purpose);
    }

    /** The header value the scheduler sends. */
    public String value() {
        return new String(token, StandardCharsets.UTF_8);
    }

    /** Whether a request's X-Scheduler-Token is this one (compared in constant time). */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }

    private static String hmac(String key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String random() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
