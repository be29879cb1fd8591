package io.fineas.pipeline.infra;

import java.nio.file.Path;

import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.LowDiskSpaceException;
import io.fineas.pipeline.common.StageFaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Below the free-space mark, new data is refused (507) and a writer's step fails with a fault the stages wait out. */
class DiskSpaceTest {

    @Test
    void belowTheMarkRequestsGet507AndWritersAFaultThatIsWaitedOut(@TempDir Path dir) {
        DiskSpace roomy = new DiskSpace(dir, 1);
        assertThat(roomy.hasRoom()).isTrue();
        assertThatCode(roomy::requireRoom).doesNotThrowAnyException();

        // more than this disk can ever have free
        DiskSpace full = new DiskSpace(dir, Long.MAX_VALUE);
        assertThat(full.hasRoom()).isFalse();
        ApiException refused = catchThrowableOfType(ApiException.class, full::requireRoomForRequests);
        assertThat(refused.getStatus()).isEqualTo(507);
        assertThat(refused.getRetryAfterSeconds()).isEqualTo(60);
        LowDiskSpaceException wait = catchThrowableOfType(LowDiskSpaceException.class, full::requireRoom);
        assertThat(wait).hasMessageContaining("MB free, below DISK_MIN_FREE_MB");
        assertThat(StageFaults.isStoreUnavailable(new RuntimeException(wait))).as("waited out, not dead-lettered")
                .isTrue();
        // 0 turns it off
        assertThat(new DiskSpace(dir, 0).hasRoom()).isTrue();
    }
}
