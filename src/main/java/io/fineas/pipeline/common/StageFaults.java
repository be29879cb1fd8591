package io.fineas.pipeline.common;

import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;

/**
 * Failures of the pipeline's own infrastructure rather than of the record being processed: they are waited out
 * (retried with backoff for as long as they last), never a reason to dead-letter a record.
 */
public final class StageFaults {

    private StageFaults() {
    }

    /**
     * MongoDB cannot be reached (no server selected in time, a connection refused or broken), or the data directory's
     * disk is short of space for what the stage would write ({@link LowDiskSpaceException}).
     */
    public static boolean isStoreUnavailable(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof MongoTimeoutException || t instanceof MongoSocketException
                    || t instanceof LowDiskSpaceException) {
                return true;
            }
        }
        return false;
    }
}
