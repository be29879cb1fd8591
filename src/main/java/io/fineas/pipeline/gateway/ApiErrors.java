package io.fineas.pipeline.gateway;

import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.networknt.schema.ValidationMessage;
import io.fineas.pipeline.util.ApiException;
import org.apache.camel.component.jsonvalidator.JsonValidationException;
import org.apache.camel.component.jsonvalidator.NoJsonBodyValidationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps any exception a gateway route raises to the status and {"error","detail"} body the client gets. */
public final class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    public ApiException describe(Throwable thrown) {
        Throwable t = thrown;
        // bean and expression calls wrap what the business code threw: answer with the innermost ApiException
        for (Throwable c = thrown; c != null; c = c.getCause()) {
            if (c instanceof ApiException api) {
                return api;
            }
        }
        if (t instanceof NoJsonBodyValidationException) {
            return ApiException.badRequest("the request body is empty; a JSON document is required");
        }
        if (t instanceof JsonValidationException v) {
            if (v.getNumberOfErrors() == 1 && v.getErrors().iterator().next().getMessage().startsWith("$: unknown")) {
                return ApiException.badRequest("the request body is empty; a JSON document is required");
            }
            if (v.getNumberOfErrors() > 0) {
                return ApiException.badRequest(v.getErrors().stream().map(ValidationMessage::getMessage).sorted()
                        .collect(Collectors.joining("; ")));
            }
            return ApiException.badRequest("the request body is not valid JSON: " + jsonProblem(v.getCause()));
        }
        if (t instanceof JsonProcessingException j) {
            return ApiException.badRequest("the request body is not valid JSON: " + jsonProblem(j));
        }
        LOG.error("Request failed", t);
        return new ApiException(500, "internal_error", t.getClass().getSimpleName() + ": " + t.getMessage());
    }

    private static String jsonProblem(Throwable t) {
        if (t instanceof JsonProcessingException j) {
            String message = j.getOriginalMessage();
            int source = message.indexOf(" (start marker at");
            return (source > 0 ? message.substring(0, source) : message) + (j.getLocation() == null ? ""
                    : " (line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr() + ")");
        }
        return t == null ? "unreadable" : t.getMessage();
    }
}
