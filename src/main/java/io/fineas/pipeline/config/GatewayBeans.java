package io.fineas.pipeline.config;

import java.time.Duration;

import io.fineas.pipeline.gateway.ApiKeys;
import io.fineas.pipeline.gateway.ChatRequests;
import io.fineas.pipeline.gateway.CollectRequests;
import io.fineas.pipeline.gateway.Runs;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;

/** The gateway's beans (routes/gateway/): /collect's checks, run status, chat requests, the admin key. */
public class GatewayBeans {

    @PropertyInject("pipeline.gateway.admin-key")
    private String adminKey;
    @PropertyInject("pipeline.chat.timeout-ms")
    private long chatTimeoutMs;

    public void bind(SharedBeans shared) {
        Registry registry = shared.context().getRegistry();
        ApiKeys apiKeys = registry.lookupByNameAndType("apiKeys", ApiKeys.class);
        registry.bind("collectRequests", new CollectRequests(apiKeys, shared.topics()));
        registry.bind("runs", new Runs(shared.system().getCollection("runs")));
        registry.bind("chatRequests", new ChatRequests(Duration.ofMillis(chatTimeoutMs)));
        apiKeys.ensureAdminKey(adminKey);
    }
}
