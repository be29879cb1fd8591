package io.fineas.pipeline.rag.llm;

import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import io.fineas.pipeline.common.StageFaults;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.apache.camel.language.simple.Simple;

/**
 * Which model call failures are worth another try: what langchain4j reports as retriable (429 rate limits, 5xx,
 * timeouts), up to the configured retries. A record (not a question) is also tried again for as long as the provider
 * fails for everyone (its circuit open) or the pipeline's own MongoDB is unreachable: it waits, it is not
 * dead-lettered. A question whose call the circuit refuses is answered with an error at once.
 */
public final class LlmRetryPolicy {

    private final int retries;
    private final LlmCircuit circuit;

    public LlmRetryPolicy(int retries, LlmCircuit circuit) {
        this.retries = retries;
        this.circuit = circuit;
    }

    /**
     * @param redelivery the number of the redelivery about to be made (1 for the first retry)
     * @param question the chat question being answered, null for a record: a record's tries do not run out while
     *                 the provider fails for everyone (circuit open or probing): it is tried again, with the backoff,
     *                 until a probe call gets through; meanwhile its consumer polls nothing. With LLM_RETRIES of 4 or
     *                 more an outage opens the circuit before the first record's tries are spent, so no record is
     *                 dead-lettered for an outage.
     */
    public boolean shouldRetry(@Simple("${exception}") Throwable error,
            @Header("CamelRedeliveryCounter") Integer redelivery, @Variable("request") Object question) {
        if (question == null && (circuit.isOpen() || isRefusedByCircuit(error) || StageFaults.isStoreUnavailable(error)
                || isBusy(error))) {
            // the provider down for everyone, or the pipeline's own MongoDB: the record waits
            return true;
        }
        return isTransient(error) && (redelivery == null ? 1 : redelivery) <= retries;
    }

    /**
     * The circuit turned the call away (open, or half-open with its probe taken by another record): the record was
     * never tried. Asked by itself because the probe may close the circuit between the refusal and this question, and
     * a record that was never tried must not be dead-lettered for it (seen in LlmOutageTest: one record in three).
     */
    static boolean isRefusedByCircuit(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof io.github.resilience4j.circuitbreaker.CallNotPermittedException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Every place of the bulkhead taken for longer than a record waits for one (a batch's records side by side and the
     * paused analyses' resumption at once): the pipeline's own load, never a reason to dead-letter a record.
     */
    static boolean isBusy(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof io.github.resilience4j.bulkhead.BulkheadFullException) {
                return true;
            }
        }
        return false;
    }

    /**
     * A failure of the provider rather than of the input: a rate limit, a 5xx, a timeout, or the provider out of reach
     * or refusing everyone ({@link #isProviderUnavailable}). Such failures count towards the circuit, so an outage of
     * the provider opens it and the records wait instead of draining to the dead-letter topic.
     */
    public static boolean isTransient(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RetriableException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.net.http.HttpTimeoutException || isProviderUnavailable(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The provider cannot answer anyone, whatever the input: it cannot be reached (connection refused or reset, an
     * unknown host, a broken connection: an Ollama or vLLM server restarting, a redeploy), or it refuses every call
     * (401 or 403: an expired or revoked key; 404: the model or the endpoint is gone). langchain4j reports some of
     * these as non-retriable (UnresolvedModelServerException, AuthenticationException, ModelNotFoundException) and
     * others as a plain RuntimeException around the I/O error; for the pipeline each is an outage to wait out.
     */
    static boolean isProviderUnavailable(Throwable t) {
        if (t instanceof UnresolvedModelServerException || t instanceof AuthenticationException
                || t instanceof ModelNotFoundException
                || (t instanceof java.io.IOException && !(t instanceof com.fasterxml.jackson.core.JacksonException))
                || t instanceof java.nio.channels.UnresolvedAddressException) {
            return true;
        }
        if (t instanceof HttpException http) {
            int status = http.statusCode();
            return status == 401 || status == 403 || status == 404 || status == 408;
        }
        return false;
    }
}
