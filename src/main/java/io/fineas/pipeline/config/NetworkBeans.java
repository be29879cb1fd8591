package io.fineas.pipeline.config;

import io.fineas.pipeline.common.SchedulerToken;
import io.fineas.pipeline.network.AgreementStrategy;
import io.fineas.pipeline.network.Canaries;
import io.fineas.pipeline.network.MongoAggregationRepository;
import io.fineas.pipeline.network.NetworkSettlement;
import io.fineas.pipeline.network.NetworkTasks;
import io.fineas.pipeline.network.NodeRegistry;
import io.fineas.pipeline.network.TaskBoard;
import io.fineas.pipeline.processors.ProcessorRuns;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;

/**
 * The open capture network's beans: the node registry, the task board and the canaries, which the gateway (nodes'
 * requests) and the processors (dispatch, agreement, settlement) share through MongoDB; the processors add the
 * dispatch of tasks and the agreement's aggregator with its MongoDB repository.
 */
public class NetworkBeans {

    @PropertyInject("pipeline.network.enrollment")
    private String enrollment;
    @PropertyInject("pipeline.network.credibility-start")
    private double credibilityStart;
    @PropertyInject("pipeline.network.credibility-min")
    private double credibilityMin;
    @PropertyInject("pipeline.network.credibility-weight")
    private double credibilityWeight;
    @PropertyInject(value = "pipeline.network.canary-secret", defaultValue = "")
    private String canarySecret;
    @PropertyInject(value = "pipeline.gateway.admin-key", defaultValue = "")
    private String adminKey;
    @PropertyInject(value = "pipeline.network.canary-url", defaultValue = "")
    private String canaryUrl;
    @PropertyInject("camel.server.port")
    private int apiPort;

    public void bind(SharedBeans shared) {
        Registry registry = shared.context().getRegistry();
        if (registry.lookupByName("nodeRegistry") != null) {
            return;
        }
        NodeRegistry nodes = new NodeRegistry(shared.system().getCollection("nodes"),
                shared.system().getCollection("node_challenges"), shared.system().getCollection("node_nonces"),
                shared.system().getCollection("node_tasks"),
                NodeRegistry.Enrollment.valueOf(enrollment.strip().toUpperCase(java.util.Locale.ROOT)),
                credibilityStart, credibilityMin, credibilityWeight);
        registry.bind("nodeRegistry", nodes);
        registry.bind("taskBoard", new TaskBoard(shared.system().getCollection("node_tasks"),
                shared.system().getCollection("node_leases"), nodes));
        registry.bind("canaries", new Canaries(SchedulerToken.secret(canarySecret, adminKey, "fineas canary secret")));
    }

    /** The processors' part: dispatch and agreement (after {@link ProcessorBeans} bound processorRuns). */
    public void bindProcessors(SharedBeans shared) {
        bind(shared);
        Registry registry = shared.context().getRegistry();
        Canaries canaries = registry.lookupByNameAndType("canaries", Canaries.class);
        registry.bind("networkTasks", new NetworkTasks(canaries, canaryUrl.isBlank()
                ? "http://127.0.0.1:" + apiPort + "/canary/{canary}" : canaryUrl.strip()));
        registry.bind("networkSettlement", new NetworkSettlement(
                registry.lookupByNameAndType("processorRuns", ProcessorRuns.class),
                registry.lookupByNameAndType("taskBoard", TaskBoard.class),
                registry.lookupByNameAndType("nodeRegistry", NodeRegistry.class), canaries));
        registry.bind("agreementStrategy", new AgreementStrategy());
        MongoAggregationRepository repository = new MongoAggregationRepository(
                shared.system().getCollection("network_agreement"),
                shared.system().getCollection("network_agreement_completed"));
        // a completed tally whose settlement failed (Kafka or MongoDB away) is sent again every 5 s; after 720 tries
        // (an hour) it becomes a dispute
        repository.setRecoveryInterval(5000);
        repository.setMaximumRedeliveries(720);
        repository.setDeadLetterUri("direct:network-settle-dead-letter");
        registry.bind("agreementRepository", repository);
    }
}
