package io.fineas.pipeline.processors;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A processor as its config file defines it: where its data goes (topic, segment), what it captures from (a source
 * kind with its options) and the parameters of each capture (the data list), plus how it runs (batch size, workers,
 * retries).
 *
 * @param urlTemplate http and rss: a URL with {name} placeholders filled from each data list item
 * @param headers     http and rss: request headers (API keys and the like), placeholders already resolved; they go
 *                    to the source only, never into the records
 * @param root        file: the folder the items' "path" values are relative to
 * @param rateLimit   at most this many captures started per {@code ratePeriodMs} (a source's rate limit); 0 = none
 * @param guard       http and rss: what the captures may reach and how much (CaptureGuard)
 * @param network     captured by the open capture network's nodes rather than in-house; null: in-house
 */
public record ProcessorConfig(String id, Path file, String topic, String segment, String kind, String urlTemplate,
        Map<String, String> headers, Path root, List<Map<String, Object>> items, int batchSize, int workers, int retries,
        int rateLimit, long ratePeriodMs, CaptureGuard.Rules guard, io.fineas.pipeline.network.NetworkSpec network) {

    /** A processor that captures in-house. */
    public ProcessorConfig(String id, Path file, String topic, String segment, String kind, String urlTemplate,
            Map<String, String> headers, Path root, List<Map<String, Object>> items, int batchSize, int workers,
            int retries, int rateLimit, long ratePeriodMs, CaptureGuard.Rules guard) {
        this(id, file, topic, segment, kind, urlTemplate, headers, root, items, batchSize, workers, retries, rateLimit,
                ratePeriodMs, guard, null);
    }

    /** Whether the network's nodes capture its items (the processor dispatches tasks instead). */
    public boolean isNetwork() {
        return network != null;
    }
}
