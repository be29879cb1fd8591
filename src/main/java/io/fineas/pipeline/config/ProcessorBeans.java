package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.time.Duration;

import io.fineas.pipeline.processors.CaptureGuard;
import io.fineas.pipeline.processors.CaptureLedger;
import io.fineas.pipeline.processors.CaptureRecords;
import io.fineas.pipeline.processors.CaptureRetryPolicy;
import io.fineas.pipeline.processors.ProcessorCatalog;
import io.fineas.pipeline.processors.ProcessorConfig;
import io.fineas.pipeline.processors.ProcessorRuns;
import io.fineas.pipeline.processors.ProcessorStatus;
import io.fineas.pipeline.processors.SourceHeaders;
import org.apache.camel.CamelContext;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.PropertyInject;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processors' beans (routes/processors/): loads the processor configs, reports the misconfigured ones, binds a
 * worker pool per processor, and makes one route per processor from the `processor` route template once the routes
 * are loaded.
 */
public class ProcessorBeans {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorBeans.class);

    @PropertyInject("pipeline.processors.dir")
    private String processorsDir;
    @PropertyInject("pipeline.processors.batch-size")
    private int batchSize;
    @PropertyInject("pipeline.processors.workers")
    private int workers;
    @PropertyInject("pipeline.processors.retries")
    private int retries;
    @PropertyInject("pipeline.processors.max-alert-age-minutes")
    private long maxAlertAgeMinutes;

    public void bind(SharedBeans shared) throws Exception {
        CamelContext context = shared.context();
        ProcessorStatus status = shared.processorStatus();
        ProcessorCatalog catalog = new ProcessorCatalog(Path.of(processorsDir), batchSize, workers, retries,
                context::resolvePropertyPlaceholders).load();
        for (ProcessorCatalog.Problem p : catalog.problems()) {
            LOG.error("Processor config {} is misconfigured and will not run: {}", p.file(), p.reason());
            status.misconfigured(p.file(), p.reason());
        }
        Registry registry = context.getRegistry();
        CaptureLedger ledger = new CaptureLedger(shared.data(), shared.system().getCollection("processor_runs"),
                context.getExecutorServiceManager().newCachedThreadPool(this, "capture-ledger-read"));
        registry.bind("captureLedger", ledger);
        registry.bind("processorRuns", new ProcessorRuns(catalog.configs(), shared.topics(), shared.segments(), status,
                Duration.ofMinutes(maxAlertAgeMinutes), ledger));
        registry.bind("captureRecords", new CaptureRecords());
        registry.bind("runProgress", new io.fineas.pipeline.processors.RunProgress(shared.system().getCollection("runs")));
        registry.bind("captureRetryPolicy", new CaptureRetryPolicy());
        registry.bind("sourceHeaders", new SourceHeaders());
        for (ProcessorConfig c : catalog.configs()) {
            registry.bind("processor-" + c.id() + "-workers", context.getExecutorServiceManager()
                    .newFixedThreadPool(this, "processor-" + c.id(), c.workers()));
            // its own HTTP client: what its captures may reach (addresses, redirects), how much and how long
            registry.bind("processor-" + c.id() + "-http", CaptureGuard.configurer(c, c.workers()));
            status.ready(c);
            if (!shared.segments().segmentExists(c.topic(), c.segment())) {
                String reason = ProcessorStatus.missing(c.topic(), c.segment());
                LOG.warn("Processor {} waits: {}; it will check again at each alert", c.id(), reason);
                status.waiting(c.id(), reason);
            }
        }
        // the template is one of the YAML routes, loaded after the beans: add the routes once Camel runs
        context.addStartupListener(new ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) throws Exception {
                for (ProcessorConfig c : catalog.configs()) {
                    TemplatedRouteBuilder.builder(ctx, "processor").routeId("processors-" + c.id())
                            .parameter("processorId", c.id()).parameter("batchSize", c.batchSize())
                            .parameter("workers", c.workers())
                            .parameter("unlimited", c.rateLimit() == 0)
                            .parameter("rateLimit", Math.max(1, c.rateLimit()))
                            .parameter("ratePeriodMs", c.ratePeriodMs()).add();
                }
                LOG.info("Processors started: {} ({} misconfigured)", catalog.configs().stream()
                        .map(ProcessorConfig::id).toList(), catalog.problems().size());
            }
        });
    }
}
