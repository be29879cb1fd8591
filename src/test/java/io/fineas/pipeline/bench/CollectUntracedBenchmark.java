package io.fineas.pipeline.bench;

import java.util.Properties;

/**
 * CollectBenchmark with tracing off (TRACING_ENABLED=false): its ratio against the same bare endpoint, beside the traced
 * one of the same run, is what tracing costs POST /collect.
 * Run with: mvn -B verify -Pbench -Dbench='Collect*Benchmark'
 */
class CollectUntracedBenchmark extends CollectBenchmark {

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.tracing.enabled", "false");
    }

    @Override
    protected String reportName() {
        return "collect-untraced";
    }
}
