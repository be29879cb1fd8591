package io.fineas.pipeline.common;

import java.io.IOException;

/**
 * A write that would use the pipeline's data directory while its disk is short of space (infra/DiskSpace): a
 * transient fault of the stage, waited out like an unreachable store, never a reason to dead-letter a record.
 */
public final class LowDiskSpaceException extends IOException {

    public LowDiskSpaceException(String message) {
        super(message);
    }
}
