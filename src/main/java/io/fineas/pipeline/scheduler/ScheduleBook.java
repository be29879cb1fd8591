package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TimeZone;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.common.ApiException;
import org.quartz.CronExpression;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduling JSON: {@code [{"data_collection_file_path": "...", "schedule": 1}]} (every N days, fractions
 * allowed) or {@code [{"data_collection_file_path": "...", "cron": "0 0 6 * * ?"}]} (Quartz cron, UTC). Paths are
 * relative to the schedule file's folder. The file is re-read when it changes; a malformed entry or a missing data
 * collection file is reported (file, entry, reason) and skipped, the other entries keep running.
 */
public final class ScheduleBook {

    private static final Logger LOG = LoggerFactory.getLogger(ScheduleBook.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One valid entry of the schedule: every {@code days} days, or on its cron expression. */
    record Entry(int index, String file, Path path, Double days, CronExpression cron) {

        Duration every() {
            return Duration.ofMillis(Math.round(days * Duration.ofDays(1).toMillis()));
        }
    }

    /** An entry that is due now, with the data collection JSON to POST. */
    public record Due(String file, Instant lastCall, String body) {
    }

    /**
     * How the last POST of a data collection file went: accepted, or why not, since when, and how many ticks in a
     * row have ended the same way since then.
     */
    public record Outcome(String outcome, Instant since, int repeats) {
    }

    private final Path scheduleFile;
    private final SchedulerState state;
    private volatile Clock clock;
    private FileTime loadedAt;
    private long loadedSize = -1;
    private List<Entry> entries = List.of();
    private List<Map<String, Object>> problems = List.of();
    private final Map<String, Outcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();

    public ScheduleBook(Path scheduleFile, SchedulerState state, Clock clock) {
        this.scheduleFile = scheduleFile;
        this.state = state;
        this.clock = clock;
    }

    /** Replaces the clock (tests and replays drive the scheduler through time with it). */
    public void useClock(Clock clock) {
        this.clock = clock;
    }

    public SchedulerState state() {
        return state;
    }

    /** The entries due now: never called since the last reset, or whose period has passed since the last call. */
    public synchronized List<Due> dueEntries() {
        if (state.heartbeat()) {
            LOG.info("Scheduler service started from nothing: every entry is due at this tick ({})", state.describe());
        }
        reloadIfChanged();
        Instant now = clock.instant();
        List<Due> due = new ArrayList<>();
        List<Map<String, Object>> fileProblems = new ArrayList<>();
        for (Entry e : entries) {
            Instant last = state.lastCall(e.file());
            if (last != null && now.isBefore(nextCall(e, last))) {
                continue;
            }
            try {
                String body = Files.readString(e.path());
                JsonNode parsed = JSON.readTree(body);
                if (parsed == null || !parsed.isArray()) {
                    fileProblems.add(problem(e.index(), e.file(), "the data collection file is not a JSON array"));
                    continue;
                }
                due.add(new Due(e.file(), last, body));
            } catch (IOException ex) {
                fileProblems.add(problem(e.index(), e.file(), ex instanceof java.nio.file.NoSuchFileException
                        ? "the data collection file does not exist: " + e.path()
                        : "the data collection file cannot be read: " + ex.getMessage()));
            }
        }
        fileProblems.forEach(p -> LOG.warn("Schedule {} entry {} ({}) skipped: {}", scheduleFile, p.get("entry"),
                p.get("data_collection_file_path"), p.get("reason")));
        List<Map<String, Object>> all = new ArrayList<>(problems.stream()
                .filter(p -> !"runtime".equals(p.get("kind"))).toList());
        fileProblems.forEach(p -> {
            p.put("kind", "runtime");
            all.add(p);
        });
        problems = all;
        return due;
    }

    public boolean claim(Due due) {
        return state.claim(due.file(), due.lastCall());
    }

    public void recordCall(Due due) {
        state.recordCall(due.file(), clock.instant());
    }

    /** The gateway accepted the POST: the call counts, the entry is not due again until its next period. */
    public void accepted(Due due, String answer) {
        recordCall(due);
        Outcome before = outcomes.put(due.file(), new Outcome("accepted", clock.instant(), 0));
        LOG.info("Scheduled collection {} accepted by the gateway{}: {}", due.file(),
                before != null && !"accepted".equals(before.outcome())
                        ? " after " + (before.repeats() + 1) + " failed tick(s)" : "", answer);
    }

    /** The gateway refused the POST (its status and answer): the call does not count, the next tick tries again. */
    public void refused(Due due, Integer status, String answer) {
        failed(due, "refused by the gateway (HTTP " + status + "): " + answer);
    }

    /** The gateway could not be reached: the call does not count, the next tick tries again. */
    public void unreachable(Due due, String error) {
        failed(due, "could not reach the gateway: " + error);
    }

    /**
     * Releases the claim of a failed POST and reports it: at WARN when the failure is new, at DEBUG while it repeats
     * tick after tick (a topic that does not exist yet would otherwise log the same refusal every minute).
     */
    private void failed(Due due, String reason) {
        state.release(due.file(), due.lastCall());
        Outcome next = outcomes.compute(due.file(), (file, before) -> before != null && before.outcome().equals(reason)
                ? new Outcome(reason, before.since(), before.repeats() + 1)
                : new Outcome(reason, clock.instant(), 0));
        if (next.repeats() == 0) {
            LOG.warn("Scheduled collection {} {}; retrying at each tick (repeats are logged at DEBUG)", due.file(),
                    reason);
        } else {
            LOG.debug("Scheduled collection {} still {} ({} ticks since {})", due.file(), reason, next.repeats() + 1,
                    next.since());
        }
    }

    /**
     * What the scheduler will do and has done, for GET /schedule: each entry with its pattern, last call, next call
     * (null when due at the next tick) and the outcome of its last POST, plus the entries skipped and why.
     */
    public synchronized Map<String, Object> status() {
        reloadIfChanged();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Entry e : entries) {
            Instant last;
            try {
                last = state.lastCall(e.file());
            } catch (RuntimeException ex) {
                throw ApiException.unavailable("the scheduler's state cannot be read: " + ex.getMessage());
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("entry", e.index());
            m.put("data_collection_file_path", e.file());
            if (e.cron() != null) {
                m.put("cron", e.cron().getCronExpression());
            } else {
                m.put("schedule", e.days());
            }
            m.put("last_call", last == null ? null : last.toString());
            Instant next = last == null ? null : nextCall(e, last);
            m.put("next_call", next == null || next.isBefore(clock.instant()) ? null : next.toString());
            Outcome o = outcomes.get(e.file());
            if (o != null) {
                m.put("last_outcome", o.outcome());
                m.put("last_outcome_since", o.since().toString());
                m.put("last_outcome_repeats", o.repeats());
            }
            out.add(m);
        }
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("schedule_file", scheduleFile.toString());
        status.put("state", state.describe());
        status.put("entries", out);
        status.put("skipped", List.copyOf(problems));
        return status;
    }

    /** How the last POST of each data collection file went. */
    public Map<String, Outcome> outcomes() {
        return Map.copyOf(outcomes);
    }

    /** What is wrong with the schedule now: one line per skipped entry, with its file, index and reason. */
    public synchronized List<Map<String, Object>> problems() {
        return List.copyOf(problems);
    }

    private static Instant nextCall(Entry e, Instant last) {
        if (e.cron() != null) {
            Date next = e.cron().getNextValidTimeAfter(Date.from(last));
            return next == null ? Instant.MAX : next.toInstant();
        }
        return last.plus(e.every());
    }

    private void reloadIfChanged() {
        try {
            if (!Files.exists(scheduleFile)) {
                if (loadedSize != -2) {
                    LOG.warn("No schedule file at {}: the scheduler has nothing to run until it appears",
                            scheduleFile.toAbsolutePath());
                    entries = List.of();
                    problems = List.of(problem(-1, null, "the schedule file does not exist"));
                    loadedSize = -2;
                    loadedAt = null;
                }
                return;
            }
            FileTime modified = Files.getLastModifiedTime(scheduleFile);
            long size = Files.size(scheduleFile);
            if (modified.equals(loadedAt) && size == loadedSize) {
                return;
            }
            loadedAt = modified;
            loadedSize = size;
            load(Files.readString(scheduleFile));
        } catch (IOException e) {
            LOG.warn("Cannot read the schedule file {}: {}", scheduleFile, e.getMessage());
        }
    }

    private void load(String text) {
        List<Entry> loaded = new ArrayList<>();
        List<Map<String, Object>> found = new ArrayList<>();
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            root = null;
            found.add(problem(-1, null, "the schedule file is not valid JSON: " + e.getOriginalMessage()));
        }
        if (root != null && !root.isArray()) {
            found.add(problem(-1, null, "the schedule file must be a JSON array of entries"));
        } else if (root != null) {
            for (int i = 0; i < root.size(); i++) {
                JsonNode node = root.get(i);
                String file = node.path("data_collection_file_path").isTextual()
                        ? node.get("data_collection_file_path").asText() : null;
                String reason = null;
                Double everyDays = null;
                CronExpression cron = null;
                if (!node.isObject()) {
                    reason = "an entry must be an object";
                } else if (file == null || file.isBlank()) {
                    reason = "'data_collection_file_path' is required and must be a string";
                } else if (node.has("schedule") == node.has("cron")) {
                    reason = "give exactly one of 'schedule' (days) or 'cron'";
                } else if (node.has("schedule")) {
                    JsonNode days = node.get("schedule");
                    if (!days.isNumber() || days.asDouble() <= 0) {
                        reason = "'schedule' must be a positive number of days";
                    } else {
                        everyDays = days.asDouble();
                    }
                } else {
                    try {
                        cron = new CronExpression(node.get("cron").asText());
                        cron.setTimeZone(TimeZone.getTimeZone("UTC"));
                    } catch (ParseException | RuntimeException e) {
                        reason = "'cron' is not a valid Quartz cron expression: " + e.getMessage();
                    }
                }
                if (reason != null) {
                    found.add(problem(i, file, reason));
                } else {
                    Path resolved = Objects.requireNonNullElse(scheduleFile.toAbsolutePath().getParent(), Path.of("."))
                            .resolve(file).normalize();
                    loaded.add(new Entry(i, file, resolved, everyDays, cron));
                }
            }
        }
        found.forEach(p -> LOG.warn("Schedule {} entry {} ({}) skipped: {}", scheduleFile, p.get("entry"),
                p.get("data_collection_file_path"), p.get("reason")));
        LOG.info("Schedule {} loaded: {} entries, {} skipped", scheduleFile, loaded.size(), found.size());
        entries = List.copyOf(loaded);
        problems = found;
    }

    private Map<String, Object> problem(int index, String file, String reason) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("schedule_file", scheduleFile.toString());
        p.put("entry", index);
        p.put("data_collection_file_path", file);
        p.put("reason", reason);
        return p;
    }
}
