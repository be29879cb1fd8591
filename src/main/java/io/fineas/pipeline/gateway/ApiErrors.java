package io.fineas.pipeline.gateway;

import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.networknt.schema.ValidationMessage;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.component.jsonvalidator.JsonValidationException;
import org.apache.camel.component.jsonvalidator.NoJsonBodyValidationException;
import org.apache.camel.language.simple.Simple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps any exception a gateway route raises to the status and {"error","detail"} body the client gets. */
public final class ApiErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ApiErrors.class);

    public ApiException describe(@Simple("${exception}") Throwable thrown) {
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
        // the exception's text stays in the log (it may hold a key, a URI or a stack of internals); the client gets a
        // reference to find it there
        String reference = java.util.UUID.randomUUID().toString();
        LOG.error("Request failed (reference {})", reference, t);
        return new ApiException(500, "internal_error", "the request failed on the server; its log has the details "
                + "under reference " + reference);
    }

    /**
     * Where the JSON broke, never what it held: Jackson's message quotes the offending token, which may be an
     * unquoted API key.
     */
    private static String jsonProblem(Throwable t) {
        if (t instanceof JsonProcessingException j && j.getLocation() != null) {
            return "at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
        }
        return "unreadable";
    }
}
