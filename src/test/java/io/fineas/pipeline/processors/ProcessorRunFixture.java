package io.fineas.pipeline.processors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A processor run for tests outside this package that need one without the topic registry. */
public final class ProcessorRunFixture {

    private ProcessorRunFixture() {
    }

    /** A run of an http processor "fixture" of topic t, segment s, with the retries given. */
    public static ProcessorRun run(String runId, int retries) {
        ProcessorConfig config = new ProcessorConfig("fixture", Path.of("fixture.yaml"), "t", "s", "http",
                "https://example.org/{n}", Map.of(), null, List.of(Map.of("n", 1)), 10, 1, retries, 0, 1000,
                CaptureGuard.Rules.defaults());
        return new ProcessorRun(config, runId, null, "data-t", "2026-11-26T00:00:00Z", null);
    }
}
