package io.fineas.pipeline.rag;

import java.util.List;

import org.apache.camel.Exchange;

/** camel-kafka's batching consumer delivers a list of exchanges; the ingestion takes their record values. */
public final class KafkaBatch {

    public List<String> values(List<Exchange> batch) {
        return batch.stream().map(e -> e.getMessage().getBody(String.class)).toList();
    }
}
