package io.fineas.pipeline.bench;

import java.util.Properties;

/**
 * RagServiceBenchmark with tracing off (TRACING_ENABLED=false): its ratios against the model work alone, beside the
 * traced ones of the same run, are what tracing costs the RAG role.
 * Run with: mvn -B verify -Pbench -Dbench='RagService*Benchmark' -Dbench.modes=shipped
 */
class RagServiceUntracedBenchmark extends RagServiceBenchmark {

    @Override
    protected void overrideProperties(Properties p) {
        super.overrideProperties(p);
        p.put("pipeline.tracing.enabled", "false");
    }

    @Override
    protected String reportSuffix() {
        return "-untraced";
    }
}
