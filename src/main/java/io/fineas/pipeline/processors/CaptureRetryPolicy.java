package io.fineas.pipeline.processors;

import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;

import io.fineas.pipeline.common.StageFaults;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.language.simple.Simple;

/**
 * Which capture failures are worth another try: server errors (5xx), 429, timeouts and connection failures, up to the
 * processor's retries. A client error (4xx) or bad data will fail the same way again, so it is not retried. MongoDB
 * unreachable is the pipeline's own fault: retried for as long as it lasts.
 */
public final class CaptureRetryPolicy {

    /**
     * @param redelivery the number of the redelivery Camel is about to make (1 for the first retry)
     */
    public boolean shouldRetry(@Simple("${exception}") Throwable error,
            @Header("CamelRedeliveryCounter") Integer redelivery, @Variable("run") ProcessorRun run) {
        if (StageFaults.isStoreUnavailable(error)) {
            // the pipeline's own MongoDB (the capture ledger) is down: waited out, the item is not the cause
            return true;
        }
        int next = redelivery == null ? 1 : redelivery;
        if (run == null || next > run.getConfig().retries()) {
            return false;
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof CaptureGuard.CaptureRefusedException || t instanceof CaptureGuard.RefusedHost
                    || t.getMessage() != null && t.getMessage().startsWith("capture refused")) {
                // the processor's rules refuse it (address, redirect, size, deadline): it would be refused again
                return false;
            }
            if (t instanceof HttpOperationFailedException http) {
                return http.getStatusCode() >= 500 || http.getStatusCode() == 429;
            }
            if (t instanceof SocketTimeoutException || t instanceof HttpTimeoutException
                    || t instanceof java.net.ConnectException
                    || t.getClass().getName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }
}
