package io.fineas.pipeline.processors;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Puts the source's request headers (source.headers of the processor config: API keys and the like) on the HTTP
 * request of a capture. No EIP sets a map of headers whose names come from data; a simple-language call did, at a
 * measured cost on every item (docs/BENCHMARKS.md), so this is a plain processor.
 */
public final class SourceHeaders implements Processor {

    @Override
    public void process(Exchange exchange) {
        ProcessorRun run = exchange.getVariable("run", ProcessorRun.class);
        if (run != null && !run.getHeaders().isEmpty()) {
            exchange.getMessage().getHeaders().putAll(run.getHeaders());
        }
    }
}
