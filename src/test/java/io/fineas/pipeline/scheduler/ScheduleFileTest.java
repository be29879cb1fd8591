package io.fineas.pipeline.scheduler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The schedule file as the scheduler reads it, without an application: valid entries with their period or cron,
 * every malformed entry skipped with its index and a reason that names the mistake, the file read again when it
 * changes, and the shipped example valid.
 */
class ScheduleFileTest {

    @TempDir
    Path dir;

    @Test
    void validEntriesAreReadAndEachMalformedOneIsSkippedWithItsReason() throws IOException {
        ScheduleFile file = write("""
                [{"data_collection_file_path": "a.json", "schedule": 0.25},
                 {"data_collection_file_path": "b.json", "cron": "0 30 21 ? * MON-FRI"},
                 {"schedule": 1},
                 {"data_collection_file_path": "c.json", "schedule": -2},
                 {"data_collection_file_path": "c.json", "cron": "every tuesday"},
                 {"data_collection_file_path": "c.json"},
                 {"data_collection_file_path": "c.json", "schedule": 1, "cron": "0 0 6 * * ?"},
                 "not an object",
                 {"data_collection_file_path": "c.json", "schedule": "daily"},
                 {"data_collection_file_path": "c.json", "schedule": 1, "every": 2},
                 {"data_collection_file_path": "  ", "schedule": 1}]""");

        ScheduleFile.Loaded loaded = file.current();

        assertThat(loaded.entries()).extracting(ScheduleFile.Entry::index).containsExactly(0, 1);
        assertThat(loaded.entries().get(0).every()).isEqualTo(Duration.ofHours(6));
        assertThat(loaded.entries().get(0).path()).isEqualTo(dir.resolve("a.json").toAbsolutePath());
        assertThat(loaded.entries().get(1).cron().getCronExpression()).isEqualTo("0 30 21 ? * MON-FRI");
        assertThat(loaded.problems()).extracting(ScheduleFile.Problem::entry)
                .containsExactly(2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertThat(loaded.problems()).extracting(ScheduleFile.Problem::reason).containsExactly(
                "'data_collection_file_path' is required and must be a string",
                "'schedule' must be a positive number of days (found '-2')",
                loaded.problems().get(2).reason(),
                "give exactly one of 'schedule' (days) or 'cron'",
                "give exactly one of 'schedule' (days) or 'cron'",
                "an entry must be an object (found 'not an object')",
                "'schedule' must be a positive number of days (found 'daily')",
                "unknown key; an entry has data_collection_file_path and one of schedule or cron (found 'every')",
                "'data_collection_file_path' is required and must be a string (found '  ')");
        assertThat(loaded.problems().get(2).reason()).startsWith("'cron' is not a valid Quartz cron expression");
        assertThat(loaded.problems()).allSatisfy(p -> {
            assertThat(p.scheduleFile()).isEqualTo(dir.resolve("schedule.json").toString());
            assertThat(p.kind()).isNull();
        });
        assertThat(loaded.problems().get(1).dataCollectionFilePath()).isEqualTo("c.json");
    }

    @Test
    void aFileThatIsNotAnArrayOfEntriesIsOneProblemAndNoEntry() throws IOException {
        assertThat(write("{\"data_collection_file_path\": \"a.json\"}").current().problems())
                .singleElement().satisfies(p -> {
                    assertThat(p.entry()).isEqualTo(-1);
                    assertThat(p.reason()).isEqualTo("the schedule file must be a JSON array of entries");
                });
        assertThat(write("[{").current().problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).startsWith("the schedule file is not valid JSON"));
        Files.delete(dir.resolve("schedule.json"));
        ScheduleFile missing = new ScheduleFile(dir.resolve("schedule.json"));
        assertThat(missing.current().entries()).isEmpty();
        assertThat(missing.current().problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).isEqualTo("the schedule file does not exist"));
    }

    @Test
    void theFileIsReadAgainWhenItChanges() throws IOException {
        ScheduleFile file = write("[{\"data_collection_file_path\": \"a.json\", \"schedule\": 1}]");
        assertThat(file.current().entries()).hasSize(1);
        Files.writeString(dir.resolve("schedule.json"), "[{\"data_collection_file_path\": \"a.json\", \"schedule\": 1},"
                + " {\"data_collection_file_path\": \"b.json\", \"schedule\": 2}]");
        assertThat(file.current().entries()).extracting(ScheduleFile.Entry::file).containsExactly("a.json", "b.json");
    }

    @Test
    void theShippedScheduleIsValid() {
        ScheduleFile.Loaded shipped = new ScheduleFile(Path.of("schedules/schedule.json")).current();
        assertThat(shipped.problems()).isEmpty();
        assertThat(shipped.entries()).hasSize(2);
    }

    private ScheduleFile write(String content) throws IOException {
        Files.writeString(dir.resolve("schedule.json"), content);
        return new ScheduleFile(dir.resolve("schedule.json"));
    }

    /**
     * A data collection file (or the schedule itself) that fails to parse is reported by place, never with the
     * parser's message: it quoted the token it stopped at, an unquoted API key, in GET /schedule and the log.
     */
    @Test
    void aFileThatFailsToParseIsReportedByPlaceWithoutItsText() throws IOException {
        String key = "fpk_0123456789abcdef0123456789abcdef";
        Files.writeString(dir.resolve("collect.json"), "[{\"api_key\": " + key + ", \"topic\": \"finance\"}]");
        ScheduleFile file = write("[{\"data_collection_file_path\": \"collect.json\", \"schedule\": 1}]");
        ScheduleBook book = new ScheduleBook(file, new InMemorySchedulerState(), java.time.Clock.systemUTC());

        assertThat(book.dueEntries()).isEmpty();
        assertThat(book.problems()).singleElement().satisfies(p -> {
            assertThat(p.reason()).startsWith("the data collection file is not valid JSON at line 1")
                    .doesNotContain(key).doesNotContain("fpk_");
            assertThat(p.dataCollectionFilePath()).isEqualTo("collect.json");
        });
        assertThat(write("[" + key).current().problems()).singleElement()
                .satisfies(p -> assertThat(p.reason()).startsWith("the schedule file is not valid JSON at line 1")
                        .doesNotContain("fpk_"));
    }
}
