package io.fineas.pipeline.common;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A request the pipeline refuses, with the HTTP status it maps to and a JSON body {"error", "detail"}.
 * Thrown by plain business code; the REST layer's error configuration turns it into the response.
 */
public class ApiException extends RuntimeException {

    private final int status;
    private final String error;
    private final java.time.Duration retryAfter;

    public ApiException(int status, String error, String detail) {
        this(status, error, detail, null);
    }

    /** @param retryAfter when the client may try again (the Retry-After header of a 429 or 503), or null */
    public ApiException(int status, String error, String detail, java.time.Duration retryAfter) {
        super(detail);
        this.status = status;
        this.error = error;
        this.retryAfter = retryAfter;
    }

    /** Whole seconds, at least 1, for the Retry-After header; null when the refusal names no time. */
    public Long getRetryAfterSeconds() {
        return retryAfter == null ? null : Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    public static ApiException badRequest(String detail) {
        return new ApiException(400, "invalid_request", detail);
    }

    public static ApiException unauthorized(String detail) {
        return new ApiException(401, "unauthorized", detail);
    }

    public static ApiException forbidden(String detail) {
        return new ApiException(403, "forbidden", detail);
    }

    public static ApiException notFound(String detail) {
        return new ApiException(404, "not_found", detail);
    }

    public static ApiException conflict(String detail) {
        return new ApiException(409, "conflict", detail);
    }

    public static ApiException unavailable(String detail) {
        return new ApiException(503, "unavailable", detail);
    }

    public int getStatus() {
        return status;
    }

    public String getError() {
        return error;
    }

    /** The JSON error every refusal answers: a stable code and a sentence for people. */
    public record Body(@JsonProperty("error") String error, @JsonProperty("detail") String detail) {
    }

    public Body getBody() {
        return new Body(error, getMessage());
    }
}
