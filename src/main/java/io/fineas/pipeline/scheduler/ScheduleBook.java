package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.common.ApiException;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When each entry of the schedule file ({@link ScheduleFile}) is due, the claims and calls kept in the scheduler's
 * state (Redis), how the last POST of each went, and the GET /schedule view of it all. A data collection file that is
 * missing or not a JSON array when its entry falls due is reported with the entry and skipped; the others run.
 */
public final class ScheduleBook {

    private static final Logger LOG = LoggerFactory.getLogger(ScheduleBook.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An entry that is due now, with the data collection JSON to POST. */
    public record Due(String file, Instant lastCall, String body) {

        /**
         * The Idempotency-Key of this entry's POST for this slot (the last call it follows) and this content of its
         * file: a repeat of the slot after a lost answer or a partial publish fires nothing twice, and a file changed
         * meanwhile is a request of its own.
         */
        public String idempotencyKey() {
            return "schedule:" + file + "@" + (lastCall == null ? "first" : lastCall.toString()) + "#"
                    + io.fineas.pipeline.common.Hashes.sha256Hex(body).substring(0, 16);
        }
    }

    /**
     * How the last POST of a data collection file went: accepted, or why not, since when, and how many ticks in a
     * row have ended the same way since then.
     */
    public record Outcome(String outcome, Instant since, int repeats) {
    }

    /** GET /schedule: each entry with its pattern, calls and last outcome, and the entries skipped. */
    public record Status(
            @JsonProperty("schedule_file") String scheduleFile,
            @JsonProperty("state") String state,
            @JsonProperty("entries") List<EntryStatus> entries,
            @JsonProperty("skipped") List<ScheduleFile.Problem> skipped) {
    }

    /** One entry: next_call is null when the entry is due at the next tick. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EntryStatus(
            @JsonProperty("entry") int entry,
            @JsonProperty("data_collection_file_path") String dataCollectionFilePath,
            @JsonProperty("cron") String cron,
            @JsonProperty("schedule") Double schedule,
            @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("last_call") String lastCall,
            @JsonInclude(JsonInclude.Include.ALWAYS) @JsonProperty("next_call") String nextCall,
            @JsonProperty("last_outcome") String lastOutcome,
            @JsonProperty("last_outcome_since") String lastOutcomeSince,
            @JsonProperty("last_outcome_repeats") Integer lastOutcomeRepeats) {
    }

    private final ScheduleFile scheduleFile;
    private final SchedulerState state;
    private volatile Clock clock;
    /** The problems found when entries fell due, at the last tick. */
    private List<ScheduleFile.Problem> runtimeProblems = List.of();
    private final Map<String, Outcome> outcomes = new java.util.concurrent.ConcurrentHashMap<>();

    public ScheduleBook(ScheduleFile scheduleFile, SchedulerState state, Clock clock) {
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
        Instant now = clock.instant();
        List<Due> due = new ArrayList<>();
        List<ScheduleFile.Problem> fileProblems = new ArrayList<>();
        for (ScheduleFile.Entry e : scheduleFile.current().entries()) {
            Instant last = state.lastCall(e.file());
            if (last != null && now.isBefore(nextCall(e, last))) {
                continue;
            }
            try {
                String body = Files.readString(e.path());
                JsonNode parsed = JSON.readTree(body);
                if (parsed == null || !parsed.isArray()) {
                    fileProblems.add(scheduleFile.problem(e.index(), e.file(), "the data collection file is not a JSON array")
                            .atRuntime());
                    continue;
                }
                due.add(new Due(e.file(), last, body));
            } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
                // never the parser's message: it quotes the file's text, where a key may stand
                fileProblems.add(scheduleFile.problem(e.index(), e.file(), "the data collection file is not valid JSON "
                        + io.fineas.pipeline.common.JsonSyntax.where(ex)).atRuntime());
            } catch (IOException ex) {
                fileProblems.add(scheduleFile.problem(e.index(), e.file(),
                        ex instanceof java.nio.file.NoSuchFileException
                                ? "the data collection file does not exist: " + e.path()
                                : "the data collection file cannot be read: " + ex.getClass().getSimpleName())
                                .atRuntime());
            }
        }
        fileProblems.forEach(p -> LOG.warn("Schedule {} entry {} ({}) skipped: {}", scheduleFile.path(), p.entry(),
                p.dataCollectionFilePath(), p.reason()));
        runtimeProblems = List.copyOf(fileProblems);
        return due;
    }

    public boolean claim(@Body Due due) {
        return state.claim(due.file(), due.lastCall());
    }

    public void recordCall(Due due) {
        state.recordCall(due.file(), clock.instant());
    }

    /** The gateway accepted the POST: the call counts, the entry is not due again until its next period. */
    public void accepted(@Variable("due") Due due, @Body String answer) {
        recordCall(due);
        Outcome before = outcomes.put(due.file(), new Outcome("accepted", clock.instant(), 0));
        LOG.info("Scheduled collection {} accepted by the gateway{}: {}", due.file(),
                before != null && !"accepted".equals(before.outcome())
                        ? " after " + (before.repeats() + 1) + " failed tick(s)" : "", answer);
    }

    /** The gateway refused the POST (its status and answer): the call does not count, the next tick tries again. */
    public void refused(@Variable("due") Due due, @Header("CamelHttpResponseCode") Integer status,
            @Body String answer) {
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
    public synchronized Status status() {
        List<EntryStatus> out = new ArrayList<>();
        for (ScheduleFile.Entry e : scheduleFile.current().entries()) {
            Instant last;
            try {
                last = state.lastCall(e.file());
            } catch (RuntimeException ex) {
                throw ApiException.unavailable("the scheduler's state cannot be read: " + ex.getMessage());
            }
            Instant next = last == null ? null : nextCall(e, last);
            Outcome o = outcomes.get(e.file());
            out.add(new EntryStatus(e.index(), e.file(), e.cron() == null ? null : e.cron().getCronExpression(),
                    e.cron() == null ? e.days() : null, last == null ? null : last.toString(),
                    next == null || next.isBefore(clock.instant()) ? null : next.toString(),
                    o == null ? null : o.outcome(), o == null ? null : o.since().toString(),
                    o == null ? null : o.repeats()));
        }
        return new Status(scheduleFile.path().toString(), state.describe(), out, problems());
    }

    /** How the last POST of each data collection file went. */
    public Map<String, Outcome> outcomes() {
        return Map.copyOf(outcomes);
    }

    /** What is wrong with the schedule now: one per skipped entry, with its file, index and reason. */
    public synchronized List<ScheduleFile.Problem> problems() {
        List<ScheduleFile.Problem> all = new ArrayList<>(scheduleFile.current().problems());
        all.addAll(runtimeProblems);
        return List.copyOf(all);
    }

    private static Instant nextCall(ScheduleFile.Entry e, Instant last) {
        if (e.cron() != null) {
            Date next = e.cron().getNextValidTimeAfter(Date.from(last));
            return next == null ? Instant.MAX : next.toInstant();
        }
        return last.plus(e.every());
    }
}
