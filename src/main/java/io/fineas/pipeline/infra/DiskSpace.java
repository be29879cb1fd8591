package io.fineas.pipeline.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.LowDiskSpaceException;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The free space under PIPELINE_DATA_DIR, where the embedded Kafka log, the embedded MongoDB file and the Lucene index
 * live. Writes stop before the disk is full rather than at it (a full log directory makes the embedded Kafka broker
 * halt the process; H2 and Lucene close their stores): below {@code minFreeBytes} (DISK_MIN_FREE_MB) the gateway
 * refuses new collections (507) and the stores' writers wait (their batches are retried with backoff, never
 * acknowledged), readiness says so ({@code data-disk}) and one WARN line says so; everything goes on by itself once
 * space returns. 0 turns it off.
 */
public final class DiskSpace extends AbstractHealthCheck {

    private static final Logger LOG = LoggerFactory.getLogger(DiskSpace.class);

    /** How long a reading of the free space stands: /collect asks on every request. */
    private static final long READING_NANOS = 500_000_000L;

    private final Path dir;
    private final long minFreeBytes;
    private volatile boolean wasLow;
    /** The file store of the data directory, found once (finding it reads the mount table). */
    private volatile java.nio.file.FileStore store;
    private volatile long readAt = System.nanoTime() - 2 * READING_NANOS;
    private volatile boolean lowReading;

    public DiskSpace(Path dir, long minFreeBytes) {
        super("pipeline", "data-disk");
        this.dir = dir;
        this.minFreeBytes = minFreeBytes;
    }

    /** The bytes this process may still write under the data directory (Long.MAX_VALUE when it cannot tell). */
    public long freeBytes() {
        try {
            java.nio.file.FileStore s = store;
            if (s == null) {
                Path at = dir.toAbsolutePath();
                while (at != null && !Files.exists(at)) {
                    at = at.getParent();
                }
                if (at == null) {
                    return Long.MAX_VALUE;
                }
                s = Files.getFileStore(at);
                if (Files.exists(dir)) {
                    store = s;
                }
            }
            return s.getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Whether there is room for writes (a reading stands for half a second); logs a WARN when that changes to no, an
     * INFO when back.
     */
    public boolean hasRoom() {
        if (minFreeBytes <= 0) {
            return true;
        }
        long now = System.nanoTime();
        if (now - readAt < READING_NANOS) {
            return !lowReading;
        }
        boolean low = freeBytes() < minFreeBytes;
        lowReading = low;
        readAt = now;
        if (low != wasLow) {
            wasLow = low;
            if (low) {
                LOG.warn("{}", describe());
            } else {
                LOG.info("The disk under {} has room again ({} MB free): writes go on", dir, freeBytes() >> 20);
            }
        }
        return !low;
    }

    /** Fails with {@link LowDiskSpaceException} while the disk is short of space (a writer's step before it writes). */
    public void requireRoom() throws LowDiskSpaceException {
        if (!hasRoom()) {
            throw new LowDiskSpaceException(describe());
        }
    }

    /** The gateway's step before it accepts new data: 507 with Retry-After while the disk is short of space. */
    public void requireRoomForRequests() {
        if (!hasRoom()) {
            throw new ApiException(507, "insufficient_storage", "the pipeline's disk is short of space: new "
                    + "collections are refused until there is room", java.time.Duration.ofSeconds(60));
        }
    }

    private String describe() {
        return "the disk under PIPELINE_DATA_DIR " + dir.toAbsolutePath() + " has " + (freeBytes() >> 20)
                + " MB free, below DISK_MIN_FREE_MB " + (minFreeBytes >> 20)
                + ": new collections are refused and writes wait until there is room";
    }

    @Override
    public boolean isLiveness() {
        // a full disk makes this instance unready, not dead: a restart would find the disk as full
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (hasRoom()) {
            builder.up();
        } else {
            builder.message(describe()).down();
        }
    }
}
