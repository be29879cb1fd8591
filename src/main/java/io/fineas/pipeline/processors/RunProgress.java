package io.fineas.pipeline.processors;

import java.time.Instant;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * How far a processor is in a run, while it runs: after each batch of items its counts so far go into the run's
 * document ({@code progress.<processor id>} in the system database's {@code runs}), which GET /runs and the console
 * show until the processor's summary comes (routes/processors/processor.camel.yaml).
 */
public final class RunProgress {

    private final MongoCollection<Document> runs;

    public RunProgress(MongoCollection<Document> runs) {
        this.runs = runs;
    }

    public void update(@Variable("run") ProcessorRun run) {
        // a processor id is a valid name (ProcessorCatalog: Names), so it is a field name too
        runs.updateOne(Filters.eq("_id", run.getRunId()), Updates.set("progress." + run.getProcessorId(),
                new Document("items", run.getItems().size()).append("items_ok", run.capturedCount())
                        .append("items_failed", run.failedCount()).append("records", run.recordCount())
                        .append("updated_at", Instant.now().toString())), new UpdateOptions().upsert(true));
    }
}
