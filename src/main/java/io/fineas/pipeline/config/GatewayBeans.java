package io.fineas.pipeline.config;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.JedisPool;

import io.fineas.pipeline.gateway.ApiKeys;
import io.fineas.pipeline.gateway.ChatRequests;
import io.fineas.pipeline.gateway.CollectRequests;
import io.fineas.pipeline.gateway.InferencePages;
import io.fineas.pipeline.gateway.RateLimits;
import io.fineas.pipeline.gateway.Runs;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;

/** The gateway's beans (routes/gateway/): /collect's checks, run status, chat requests, the admin key. */
public class GatewayBeans {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayBeans.class);

    @PropertyInject("pipeline.gateway.admin-key")
    private String adminKey;
    @PropertyInject("pipeline.kafka.alert-topic")
    private String alertTopic;
    @PropertyInject("pipeline.rag.data-topic-pattern")
    private String dataTopicPattern;
    @PropertyInject("pipeline.kafka.alert-dlq-topic")
    private String alertDlq;
    @PropertyInject("pipeline.kafka.capture-dlq-topic")
    private String captureDlq;
    @PropertyInject("pipeline.kafka.run-status-topic")
    private String runStatusTopic;
    @PropertyInject("pipeline.kafka.ingest-dlq-topic")
    private String ingestDlq;
    @PropertyInject("pipeline.kafka.chat-reply-dlq-topic")
    private String chatReplyDlq;
    @PropertyInject("pipeline.kafka.llm-dlq-topic")
    private String llmDlq;
    @PropertyInject(value = "pipeline.gateway.rag-url", defaultValue = "")
    private String ragUrl;
    @PropertyInject("pipeline.chat.timeout-ms")
    private long chatTimeoutMs;
    @PropertyInject("pipeline.chat.max-waiting-per-key")
    private int chatMaxWaitingPerKey;
    @PropertyInject("pipeline.chat.max-waiting")
    private int chatMaxWaiting;

    public void bind(SharedBeans shared) throws Exception {
        Registry registry = shared.context().getRegistry();
        ApiKeys apiKeys = registry.lookupByNameAndType("apiKeys", ApiKeys.class);
        registry.bind("ragForward", new io.fineas.pipeline.gateway.RagForward(ragUrl));
        registry.bind("collectRequests", new CollectRequests(shared.topics(), shared.segments(),
                registry.lookupByNameAndType("schedulerToken", io.fineas.pipeline.common.SchedulerToken.class)));
        registry.bind("idempotentCollects", new io.fineas.pipeline.gateway.IdempotentCollects(
                shared.system().getCollection("collect_requests"), java.time.Duration.ofHours(24)));
        registry.bind("inferencePages", new InferencePages(shared.topics(), shared.segments(), shared.data()));
        registry.bind("runs", new Runs(shared.system().getCollection("runs"),
                shared.system().getCollection("run_failures")));
        // the console's dead letters and health (admin)
        io.fineas.pipeline.gateway.DeadLetters deadLetters = new io.fineas.pipeline.gateway.DeadLetters(shared.kafka(),
                java.util.List.of(alertDlq, captureDlq, runStatusTopic + ".dlq", ingestDlq, llmDlq, chatReplyDlq),
                shared.system().getCollection("dead_letter_replays"),
                topic -> topic.equals(alertTopic) || java.util.regex.Pattern.matches(dataTopicPattern, topic));
        shared.closeOnStop(deadLetters);
        registry.bind("deadLetters", deadLetters);
        io.fineas.pipeline.gateway.PipelineHealth health = new io.fineas.pipeline.gateway.PipelineHealth(
                shared.context(), shared.kafka());
        shared.closeOnStop(health);
        registry.bind("pipelineHealth", health);
        registry.bind("openApiDocument", new io.fineas.pipeline.gateway.OpenApiDocument());
        registry.bind("swaggerUiFiles", new io.fineas.pipeline.gateway.WebJarFiles("swagger-ui", java.util.Map.of(
                "swagger-ui.css", "text/css; charset=utf-8", "swagger-ui-bundle.js", "text/javascript; charset=utf-8")));
        registry.bind("usageReport", new io.fineas.pipeline.usage.UsageReport(shared.system(),
                java.time.Clock.systemUTC()));
        ChatRequests chatRequests = new ChatRequests(Duration.ofMillis(chatTimeoutMs), chatMaxWaitingPerKey,
                chatMaxWaiting);
        registry.bind("chatRequests", chatRequests);
        registry.bind("awaitChatAnswer", chatRequests.awaitAnswer());
        apiKeys.ensureAdminKey(adminKey);
    }

    /**
     * The per-key budgets of /collect, /chat, /search and /keys: in Redis (every replica shares them) unless the store
     * is "memory", or it is "auto" with no REDIS_URL set and no Redis answering. The gateway and the RAG service
     * (/search) both take from them.
     */
    static RateLimits rateLimits(SharedBeans shared) throws Exception {
        PropertiesComponent properties = shared.context().getPropertiesComponent();
        String rateLimitStore = properties.resolveProperty("pipeline.gateway.rate-limit.store").orElseThrow();
        String rateLimitPrefix = properties.resolveProperty("pipeline.gateway.rate-limit.prefix").orElseThrow();
        String redisUrl = properties.resolveProperty("redis.url").orElseThrow();
        String configuredRedis = properties.resolveProperty("pipeline.configured.redis").orElse("");
        Map<String, RateLimits.Limit> limits = new LinkedHashMap<>();
        for (String endpoint : List.of("collect", "chat", "search", "keys", "reports", "nodes", "join")) {
            limits.put(endpoint, RateLimits.Limit.parse(
                    properties.resolveProperty("pipeline.gateway.rate." + endpoint + ".per-minute").orElseThrow(),
                    properties.resolveProperty("pipeline.gateway.rate." + endpoint + ".burst").orElseThrow()));
        }
        if (!"memory".equalsIgnoreCase(rateLimitStore)) {
            // as many connections as requests may be checked at once (Jedis's default of 8 queues them)
            GenericObjectPoolConfig<redis.clients.jedis.Jedis> poolConfig = new GenericObjectPoolConfig<>();
            poolConfig.setMaxTotal(64);
            poolConfig.setMaxIdle(64);
            JedisPool pool = new JedisPool(poolConfig, URI.create(redisUrl), 2000, 2000);
            boolean configured = !configuredRedis.isBlank();
            if ("redis".equalsIgnoreCase(rateLimitStore) || configured || answers(pool)) {
                shared.closeOnStop(pool);
                LOG.info("Rate limits in Redis ({}), shared by every gateway replica", rateLimitPrefix);
                return RateLimits.redis(limits, pool, rateLimitPrefix);
            }
            pool.close();
            LOG.warn("No Redis answers at {} and REDIS_URL is not set: each gateway replica keeps its own rate limits",
                    redisUrl);
        }
        return RateLimits.inMemory(limits);
    }

    private static boolean answers(JedisPool pool) {
        try (var jedis = pool.getResource()) {
            return "PONG".equals(jedis.ping());
        } catch (RuntimeException e) {
            return false;
        }
    }
}
