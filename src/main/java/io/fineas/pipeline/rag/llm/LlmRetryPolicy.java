package io.fineas.pipeline.rag.llm;

import dev.langchain4j.exception.RetriableException;

/**
 * Which model call failures are worth another try: what langchain4j reports as retriable (429 rate limits, 5xx,
 * timeouts), up to the configured retries. An open circuit or a full bulkhead is not retried here: the record goes
 * to the dead-letter topic at once instead of piling up.
 */
public final class LlmRetryPolicy {

    private final int retries;

    public LlmRetryPolicy(int retries) {
        this.retries = retries;
    }

    /**
     * @param redelivery the number of the redelivery about to be made (1 for the first retry)
     */
    public boolean shouldRetry(Throwable error, Integer redelivery) {
        if ((redelivery == null ? 1 : redelivery) > retries) {
            return false;
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof RetriableException || t instanceof java.util.concurrent.TimeoutException
                    || t instanceof java.net.http.HttpTimeoutException) {
                return true;
            }
        }
        return false;
    }
}
