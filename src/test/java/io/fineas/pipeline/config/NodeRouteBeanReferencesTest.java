package io.fineas.pipeline.config;

import java.nio.file.Path;

/** The node role's routes (a capture node of somebody's network: no Kafka, no MongoDB) against the node's beans. */
class NodeRouteBeanReferencesTest extends RouteBeanReferencesTest {

    @Override
    protected String roles() {
        return "node";
    }

    @Override
    protected void overrideProperties(java.util.Properties p) {
        p.put("pipeline.node.operator", "route-test");
        p.put("pipeline.node.contact", "ops@example.org");
        p.put("pipeline.node.data-dir", dataDir().resolve("node").toString());
    }

    @Override
    protected boolean checks(Path routeFile) {
        return routeFile.startsWith(Path.of("routes", "node"));
    }
}
