package io.fineas.pipeline.rag;

import java.time.Instant;
import java.time.format.DateTimeParseException;

import io.fineas.pipeline.messages.CapturedRecord;

/**
 * What a source's first stored chunk says of the version it holds: the hash of what made the chunks, when that
 * version was captured and for which generation of its segment ({@code hash@epochMillis#generation}; an index written
 * before holds less, and what it lacks is taken as the same). The same hash for the same generation: the record is
 * unchanged. The same text for a segment created anew is not (it was deleted and is captured again). An older capture
 * than the stored one (a replayed dead letter, a parked analysis resumed, two versions of a backlog) never replaces
 * it: the newest captured version always wins.
 */
public record Fingerprint(String hash, Long capturedMillis, String generation) {

    public static Fingerprint parse(String stored) {
        if (stored == null) {
            return null;
        }
        String generation = null;
        int hashMark = stored.indexOf('#');
        String rest = stored;
        if (hashMark >= 0) {
            generation = stored.substring(hashMark + 1);
            rest = stored.substring(0, hashMark);
        }
        int at = rest.lastIndexOf('@');
        if (at < 0) {
            return new Fingerprint(rest, null, generation);
        }
        try {
            return new Fingerprint(rest.substring(0, at), Long.parseLong(rest.substring(at + 1)), generation);
        } catch (NumberFormatException e) {
            return new Fingerprint(rest, null, generation);
        }
    }

    /** The same content for the same generation (a generation one of them does not know counts as the same). */
    public boolean sameVersionAs(Fingerprint stored) {
        return stored != null && hash.equals(stored.hash)
                && CapturedRecord.sameGeneration(generation, stored.generation);
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

    /**
     * Whether this version was captured before the other of the same generation (unknown times are never older; a
     * segment created anew starts over, whatever the times).
     */
    public boolean olderThan(Fingerprint other) {
        return other != null && capturedMillis != null && other.capturedMillis != null
                && capturedMillis < other.capturedMillis && CapturedRecord.sameGeneration(generation, other.generation);
    }

    @Override
    public String toString() {
        return hash + (capturedMillis == null ? "" : "@" + capturedMillis)
                + (generation == null || generation.isEmpty() ? "" : "#" + generation);
    }
}
