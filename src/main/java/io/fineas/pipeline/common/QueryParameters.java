package io.fineas.pipeline.common;

/** A request's query parameters, bounded: a value out of its range is a 400, never a surprise further down. */
public final class QueryParameters {

    private QueryParameters() {
    }

    /** A whole number from 1 to {@code max}; {@code fallback} when absent or blank. */
    public static int wholeNumber(String name, Object value, int fallback, int max) {
        if (value == null || value.toString().isBlank()) {
            return fallback;
        }
        try {
            int v = Integer.parseInt(value.toString());
            if (v >= 1 && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("'" + name + "' must be a whole number from 1 to " + max);
    }
}
