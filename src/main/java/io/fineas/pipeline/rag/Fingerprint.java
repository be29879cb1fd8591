package io.fineas.pipeline.rag;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * What a source's first stored chunk says of the version it holds: the hash of what made the chunks, and when that
 * version was captured ({@code hash@epochMillis}; an index written before holds the hash alone). Equal hashes: the
 * record is unchanged. An older capture than the stored one (a replayed dead letter, a parked analysis resumed, two
 * versions of a backlog) never replaces it: the newest captured version always wins.
 */
public record Fingerprint(String hash, Long capturedMillis) {

    public static Fingerprint parse(String stored) {
        if (stored == null) {
            return null;
        }
        int at = stored.lastIndexOf('@');
        if (at < 0) {
            return new Fingerprint(stored, null);
        }
        try {
            return new Fingerprint(stored.substring(0, at), Long.parseLong(stored.substring(at + 1)));
        } catch (NumberFormatException e) {
            return new Fingerprint(stored, null);
        }
    }

    /** The epoch milliseconds of an ISO instant, or null when there is none (a record that does not say). */
    public static Long millis(String isoInstant) {
        if (isoInstant == null) {
            return null;
        }
        try {
            return Instant.parse(isoInstant).toEpochMilli();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Whether this version was captured before the other (unknown times are never older). */
    public boolean olderThan(Fingerprint other) {
        return other != null && capturedMillis != null && other.capturedMillis != null
                && capturedMillis < other.capturedMillis;
    }

    @Override
    public String toString() {
        return capturedMillis == null ? hash : hash + "@" + capturedMillis;
    }
}
