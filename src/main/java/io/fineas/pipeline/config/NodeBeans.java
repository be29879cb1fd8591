package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.fineas.pipeline.network.NodeClient;
import io.fineas.pipeline.network.NodeKeys;
import io.fineas.pipeline.processors.CaptureGuard;
import io.fineas.pipeline.processors.ProcessorConfig;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A capture node's beans (PIPELINE_ROLES=node, routes/node/): its Ed25519 key (made at the first start in its data
 * folder, readable by its user only; the public key and node id printed), its client of the gateway, and its guarded
 * HTTP client for captures: what a processor's guard does for the pipeline's host, this does for the node's (no private
 * or local addresses unless NODE_ALLOW_PRIVATE_NETWORK, a size cap, a deadline).
 */
public class NodeBeans {

    private static final Logger LOG = LoggerFactory.getLogger(NodeBeans.class);

    @PropertyInject("pipeline.node.gateway-url")
    private String gatewayUrl;
    @PropertyInject("pipeline.node.data-dir")
    private String dataDir;
    @PropertyInject(value = "pipeline.node.operator", defaultValue = "")
    private String operator;
    @PropertyInject(value = "pipeline.node.contact", defaultValue = "")
    private String contact;
    @PropertyInject("pipeline.node.workers")
    private int workers;
    @PropertyInject("pipeline.node.allow-private-network")
    private boolean allowPrivateNetwork;
    @PropertyInject("pipeline.node.max-response-bytes")
    private long maxResponseBytes;

    public void bind(CamelContext context) throws Exception {
        if (operator.isBlank() || contact.isBlank()) {
            throw new IllegalArgumentException("a node says who operates it: set NODE_OPERATOR (a name) and "
                    + "NODE_CONTACT (an e-mail address or URL) for the network's admins");
        }
        NodeKeys keys = NodeKeys.loadOrCreate(Path.of(dataDir));
        LOG.info("Node id {} public key {} (kept in {}); operator {}", keys.nodeId(), keys.publicKey(),
                Path.of(dataDir).toAbsolutePath(), operator);
        System.out.println("Fineas capture node " + keys.nodeId() + " public key " + keys.publicKey());
        URIs.warnIfPlain(gatewayUrl);
        Registry registry = context.getRegistry();
        registry.bind("nodeClient", new NodeClient(gatewayUrl, keys, operator.strip(), contact.strip(), workers));
        registry.bind("nodeWorkers", context.getExecutorServiceManager().newFixedThreadPool(this, "node-capture",
                workers));
        CaptureGuard.Rules rules = new CaptureGuard.Rules(allowPrivateNetwork, Set.of(), maxResponseBytes,
                CaptureGuard.Rules.DEFAULT_DEADLINE);
        ProcessorConfig capture = new ProcessorConfig("node", null, "node", "node", "http", "{url}", Map.of(), null,
                List.of(), 1, workers, 0, 0, 1000, rules);
        registry.bind("nodeHttp", CaptureGuard.configurer(capture, workers));
    }

    /** The gateway's URL: HTTPS on the open network; plain HTTP only to a local or private gateway. */
    static final class URIs {
        private URIs() {
        }

        static void warnIfPlain(String url) {
            java.net.URI uri = java.net.URI.create(url);
            if ("http".equalsIgnoreCase(uri.getScheme())) {
                String host = uri.getHost() == null ? "" : uri.getHost();
                boolean local = host.equals("localhost") || host.startsWith("127.") || host.startsWith("10.")
                        || host.startsWith("192.168.") || !host.contains(".");
                if (!local) {
                    LOG.warn("GATEWAY_URL {} is plain HTTP: on an open network use https://", url);
                }
            }
        }
    }

}
