package io.fineas.pipeline.crash;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.fineas.pipeline.support.PipelineProcess;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar with PIPELINE_DATA_DIR on a small tmpfs (the embedded Kafka log, MongoDB file and Lucene index all
 * live there), and the disk then filled to below DISK_MIN_FREE_MB: readiness says so (data-disk), the log says so
 * once, POST /collect is refused with 507 and publishes nothing; once there is room again, readiness is back and a
 * collection runs to searchable chunks, without a restart. Before, nothing watched the disk: the writes ran into it
 * (a full log directory halts the embedded broker, and with it the process).
 */
class DiskFullIT {

    private static final long MB = 1 << 20;

    @Test
    void belowTheFreeSpaceMarkWritesAreRefusedAndAllResumesWhenThereIsRoom(@TempDir Path work) throws Exception {
        Path disk = work.resolve("disk");
        Files.createDirectories(disk);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=700m", "tmpfs", disk.toString())
                .redirectErrorStream(true).start();
        Assumptions.assumeTrue(mount.waitFor(30, TimeUnit.SECONDS) && mount.exitValue() == 0,
                "mounting a tmpfs needs root (CI runs as root): " + new String(mount.getInputStream().readAllBytes()));
        PipelineProcess pipeline = new PipelineProcess(disk.resolve("data"), Path.of("target", "disk-full-test"),
                Map.of("PIPELINE_ROLES", "gateway,processors,rag", "DISK_MIN_FREE_MB", "200"));
        Path ballast = disk.resolve("ballast");
        try (pipeline) {
            pipeline.start();
            assertThat(pipeline.call("POST", "/topics", Map.of("topic", "finance", "topic_action", "create")))
                    .containsEntry("status", 201);
            assertThat(pipeline.call("POST", "/segments", Map.of("topic", "finance", "segment", "research-notes",
                    "segment_action", "create"))).containsEntry("status", 201);
            long alertsBefore = pipeline.records("alert");

            // the disk filled to 100 MB free, below the mark of 200
            long fill = Files.getFileStore(disk).getUsableSpace() - 100 * MB;
            byte[] block = new byte[(int) MB];
            try (OutputStream out = Files.newOutputStream(ballast)) {
                for (long written = 0; written < fill; written += MB) {
                    out.write(block);
                }
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> ready(pipeline) == 503);
            assertThat(readiness(pipeline)).contains("data-disk").contains("below DISK_MIN_FREE_MB");
            Map<String, Object> refused = pipeline.call("POST", "/collect", List.of(Map.of("topic", "finance",
                    "segment_targets", List.of("research-notes"))));
            assertThat(refused).containsEntry("status", 507).containsEntry("error", "insufficient_storage");
            assertThat(pipeline.records("alert")).as("nothing published").isEqualTo(alertsBefore);
            assertThat(pipeline.output()).contains("below DISK_MIN_FREE_MB");

            // room again: ready, and a collection runs to searchable chunks without a restart
            Files.delete(ballast);
            await().atMost(Duration.ofSeconds(30)).until(() -> ready(pipeline) == 200);
            assertThat(pipeline.call("POST", "/collect", List.of(Map.of("topic", "finance",
                    "segment_targets", List.of("research-notes"))))).containsEntry("status", 202);
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                Map<String, Object> found = pipeline.call("POST", "/search", Map.of("query",
                        "advanced packaging lead times", "topic", "finance", "k", 3));
                return Integer.valueOf(200).equals(found.get("status")) && found.get("results") instanceof List<?> hits
                        && !hits.isEmpty();
            });
            assertThat(pipeline.output()).contains("has room again");
        } finally {
            Files.deleteIfExists(ballast);
            pipeline.stop();
            new ProcessBuilder("umount", disk.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static int ready(PipelineProcess pipeline) {
        return pipeline.status(pipeline.managementUrl("/observe/health/ready"));
    }

    private static String readiness(PipelineProcess pipeline) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                pipeline.managementUrl("/observe/health/ready?exposureLevel=full"))).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.body();
    }
}
