package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.common.ConfigSchema;
import io.fineas.pipeline.common.JsonSyntax;
import org.quartz.CronExpression;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schedule file: {@code [{"data_collection_file_path": "...", "schedule": 1}]} (every N days, fractions allowed)
 * or {@code [{"data_collection_file_path": "...", "cron": "0 0 6 * * ?"}]} (Quartz cron, UTC). Paths are relative
 * to the schedule file's folder. Checked against schemas/config/schedule.schema.json, then each cron expression by
 * Quartz; re-read when the file changes. A malformed entry is reported (file, entry, reason) and skipped, the other
 * entries keep running.
 */
public final class ScheduleFile {

    private static final Logger LOG = LoggerFactory.getLogger(ScheduleFile.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConfigSchema SCHEMA = ConfigSchema.load("schedule");
    private static final Pattern ENTRY = Pattern.compile("^/(\\d+)(/.*)?$");

    /** One valid entry of the schedule: every {@code days} days, or on its cron expression. */
    record Entry(int index, String file, Path path, Double days, CronExpression cron) {

        Duration every() {
            return Duration.ofMillis(Math.round(days * Duration.ofDays(1).toMillis()));
        }
    }

    /**
     * Something wrong with the schedule: an entry skipped (its index; -1 for the whole file) and why. A problem of
     * kind {@code runtime} was found when the entry fell due (its data collection file missing or not an array).
     */
    public record Problem(
            @JsonProperty("schedule_file") String scheduleFile,
            @JsonProperty("entry") int entry,
            @JsonProperty("data_collection_file_path") String dataCollectionFilePath,
            @JsonProperty("reason") String reason,
            @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("kind") String kind) {

        Problem atRuntime() {
            return new Problem(scheduleFile, entry, dataCollectionFilePath, reason, "runtime");
        }
    }

    /** The valid entries of the file as last read, and the problems of the others. */
    record Loaded(List<Entry> entries, List<Problem> problems) {
    }

    private final Path path;
    private FileTime loadedAt;
    private long loadedSize = -1;
    private Loaded loaded = new Loaded(List.of(), List.of());

    public ScheduleFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** The entries, read again first when the file has changed (or appeared, or gone) since the last call. */
    synchronized Loaded current() {
        try {
            if (!Files.exists(path)) {
                if (loadedSize != -2) {
                    LOG.warn("No schedule file at {}: the scheduler has nothing to run until it appears",
                            path.toAbsolutePath());
                    loaded = new Loaded(List.of(), List.of(problem(-1, null, "the schedule file does not exist")));
                    loadedSize = -2;
                    loadedAt = null;
                }
                return loaded;
            }
            FileTime modified = Files.getLastModifiedTime(path);
            long size = Files.size(path);
            if (!modified.equals(loadedAt) || size != loadedSize) {
                loadedAt = modified;
                loadedSize = size;
                loaded = parse(Files.readString(path));
            }
        } catch (IOException e) {
            LOG.warn("Cannot read the schedule file {}: {}", path, e.getMessage());
        }
        return loaded;
    }

    Loaded parse(String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return report(List.of(), List.of(problem(-1, null, "the schedule file is not valid JSON "
                    + JsonSyntax.where(e))));
        }
        if (root == null || !root.isArray()) {
            return report(List.of(), List.of(problem(-1, null, "the schedule file must be a JSON array of entries")));
        }
        // the schema's findings, by entry (the first of each; an entry is skipped whatever else is wrong with it)
        Map<Integer, String> invalid = new LinkedHashMap<>();
        for (ConfigSchema.Problem p : SCHEMA.located(root)) {
            Matcher m = ENTRY.matcher(p.location());
            if (m.matches()) {
                invalid.putIfAbsent(Integer.parseInt(m.group(1)), p.message());
            }
        }
        List<Entry> entries = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode node = root.get(i);
            String file = node.path("data_collection_file_path").isTextual()
                    ? node.get("data_collection_file_path").asText() : null;
            String reason = invalid.get(i);
            CronExpression cron = null;
            if (reason == null && node.has("cron")) {
                try {
                    cron = new CronExpression(node.get("cron").asText());
                    cron.setTimeZone(TimeZone.getTimeZone("UTC"));
                } catch (ParseException | RuntimeException e) {
                    reason = "'cron' is not a valid Quartz cron expression: " + e.getMessage();
                }
            }
            if (reason != null) {
                problems.add(problem(i, file, reason));
            } else {
                Path resolved = Objects.requireNonNullElse(path.toAbsolutePath().getParent(), Path.of("."))
                        .resolve(file).normalize();
                entries.add(new Entry(i, file, resolved, cron == null ? node.get("schedule").asDouble() : null,
                        cron));
            }
        }
        return report(entries, problems);
    }

    private Loaded report(List<Entry> entries, List<Problem> problems) {
        problems.forEach(p -> LOG.warn("Schedule {} entry {} ({}) skipped: {}", path, p.entry(),
                p.dataCollectionFilePath(), p.reason()));
        LOG.info("Schedule {} loaded: {} entries, {} skipped", path, entries.size(), problems.size());
        return new Loaded(List.copyOf(entries), List.copyOf(problems));
    }

    Problem problem(int index, String file, String reason) {
        return new Problem(path.toString(), index, file, reason, null);
    }
}
