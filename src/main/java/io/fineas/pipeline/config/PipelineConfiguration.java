package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import io.fineas.pipeline.PipelineRoles;
import io.fineas.pipeline.catalog.KafkaTopicAdmin;
import io.fineas.pipeline.catalog.Segments;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.gateway.ApiErrors;
import io.fineas.pipeline.gateway.ApiKeys;
import io.fineas.pipeline.gateway.ScopePolicy;
import io.fineas.pipeline.common.KafkaClientSettings;
import io.fineas.pipeline.infra.EmbeddedKafkaBroker;
import org.apache.camel.component.kafka.KafkaComponent;
import org.apache.camel.component.kafka.KafkaConfiguration;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.infra.ExchangeEventMetrics;
import io.fineas.pipeline.infra.PingHealthCheck;
import io.fineas.pipeline.processors.ProcessorStatus;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's beans. Camel Main calls {@link #configure} before it configures components, starts the HTTP server
 * and loads routes, so this is where the embedded default (in-process Kafka broker and MongoDB wire server) starts,
 * before any client needs it; then the beans every role shares, then each role's own: {@link GatewayBeans},
 * {@link SchedulerBeans}, {@link ProcessorBeans}, {@link RagBeans} (one class per folder under routes/).
 */
public class PipelineConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineConfiguration.class);

    @PropertyInject("pipeline.roles")
    private String roles;
    @PropertyInject("pipeline.data-dir")
    private String dataDir;
    @PropertyInject("pipeline.disk.min-free-mb")
    private long diskMinFreeMb;
    @PropertyInject("pipeline.embedded.kafka")
    private String embeddedKafka;
    @PropertyInject("pipeline.embedded.kafka-port")
    private int embeddedKafkaPort;
    @PropertyInject("pipeline.embedded.mongodb")
    private String embeddedMongo;
    @PropertyInject("pipeline.embedded.mongodb-port")
    private int embeddedMongoPort;
    @PropertyInject("pipeline.embedded.host")
    private String embeddedHost;
    @PropertyInject("kafka.brokers")
    private String kafkaBrokers;
    @PropertyInject("pipeline.configured.kafka")
    private String configuredKafka;
    @PropertyInject("pipeline.configured.mongodb")
    private String configuredMongo;
    @PropertyInject("kafka.security-protocol")
    private String kafkaSecurityProtocol;
    @PropertyInject("kafka.sasl-mechanism")
    private String kafkaSaslMechanism;
    @PropertyInject("kafka.sasl-jaas-config")
    private String kafkaSaslJaasConfig;
    @PropertyInject("kafka.ssl-truststore-location")
    private String kafkaTruststoreLocation;
    @PropertyInject("kafka.ssl-truststore-password")
    private String kafkaTruststorePassword;
    @PropertyInject("kafka.ssl-truststore-type")
    private String kafkaTruststoreType;
    @PropertyInject("kafka.ssl-keystore-location")
    private String kafkaKeystoreLocation;
    @PropertyInject("kafka.ssl-keystore-password")
    private String kafkaKeystorePassword;
    @PropertyInject("kafka.ssl-key-password")
    private String kafkaKeyPassword;
    @PropertyInject("kafka.ssl-keystore-type")
    private String kafkaKeystoreType;
    @PropertyInject("kafka.ssl-endpoint-identification")
    private String kafkaEndpointIdentification;
    @PropertyInject(value = "pipeline.scheduler.token", defaultValue = "")
    private String schedulerToken;
    @PropertyInject(value = "pipeline.gateway.admin-key", defaultValue = "")
    private String adminKey;
    @PropertyInject("pipeline.kafka.partitions")
    private int partitions;
    @PropertyInject("pipeline.kafka.replication-factor")
    private short replicationFactor;
    @PropertyInject("pipeline.kafka.data-topic-prefix")
    private String dataTopicPrefix;
    @PropertyInject("pipeline.kafka.internal-topics")
    private String internalTopics;
    @PropertyInject("mongodb.uri")
    private String mongoUri;
    @PropertyInject("mongodb.tls-truststore-location")
    private String mongoTruststoreLocation;
    @PropertyInject("mongodb.tls-truststore-password")
    private String mongoTruststorePassword;
    @PropertyInject("mongodb.tls-truststore-type")
    private String mongoTruststoreType;
    @PropertyInject("mongodb.database")
    private String mongoDatabase;
    @PropertyInject("mongodb.system-database")
    private String systemDatabase;
    @PropertyInject("camel.server.port")
    private int apiPort;
    @PropertyInject("pipeline.gateway.max-body-bytes")
    private long maxBodyBytes;
    @PropertyInject("pipeline.gateway.cors-origins")
    private String corsOrigins;
    @PropertyInject("pipeline.startup.max-wait-ms")
    private long startupMaxWaitMs;
    @PropertyInject("pipeline.gateway.request-timeout-ms")
    private long requestTimeoutMs;
    @PropertyInject("pipeline.gateway.idle-timeout-ms")
    private long idleTimeoutMs;
    @PropertyInject("pipeline.gateway.header-timeout-ms")
    private long headerTimeoutMs;
    @PropertyInject(value = "camel.metrics.enabled", defaultValue = "false")
    private boolean metricsEnabled;
    @PropertyInject("pipeline.tracing.enabled")
    private boolean tracingEnabled;
    @PropertyInject("pipeline.tracing.max-spans")
    private int tracingMaxSpans;
    @PropertyInject("pipeline.tracing.max-spans-per-trace")
    private int tracingMaxSpansPerTrace;
    @PropertyInject("pipeline.tracing.exclude")
    private String tracingExclude;

    /** Camel's tracer and the SDK before any route exists (each route gets its tracing policy as it is added). */
    private void tracing(CamelContext context, PipelineRoles pipelineRoles) throws Exception {
        if (!tracingEnabled) {
            context.getRegistry().bind("recordTraces", io.fineas.pipeline.common.RecordTraces.off());
            // GET /traces/{id} answers 404: nothing is recorded
            context.getRegistry().bind("recentTraces", new io.fineas.pipeline.infra.RecentTraces(1, 1));
            return;
        }
        io.fineas.pipeline.infra.RecentTraces recent = new io.fineas.pipeline.infra.RecentTraces(tracingMaxSpans,
                tracingMaxSpansPerTrace);
        io.fineas.pipeline.infra.PipelineTracing tracing = io.fineas.pipeline.infra.PipelineTracing.start(context,
                "fineas-" + String.join("+", new java.util.TreeSet<>(pipelineRoles.roles())), tracingExclude, recent);
        context.addService(SharedBeans.closing(tracing), true, false);
        context.getRegistry().bind("recentTraces", recent);
        context.getRegistry().bind("recordTraces", tracing.recordTraces());
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        // this instance's own consumer group for chat replies (each gateway instance reads every reply)
        context.getPropertiesComponent().addOverrideProperty("pipeline.instance-id", UUID.randomUUID().toString());
        PipelineRoles pipelineRoles = PipelineRoles.parse(roles);
        LOG.info("Pipeline roles: {}", pipelineRoles);
        if (pipelineRoles.isNodeOnly()) {
            // a capture node of somebody's network: no Kafka, no MongoDB, no API; the gateway's URL only
            context.getInjector().newInstance(NodeBeans.class).bind(context);
            return;
        }

        if (embedded(embeddedKafka, configuredKafka, kafkaBrokers, "127.0.0.1:" + embeddedKafkaPort)) {
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(embeddedHost, embeddedKafkaPort,
                    Path.of(dataDir, "kafka")).start();
            context.addService(SharedBeans.closing(broker), true, false);
            LOG.info("Embedded Kafka broker (KRaft) listening on {}", broker.bootstrapServers());
        }
        if (embedded(embeddedMongo, configuredMongo, mongoUri, "mongodb://127.0.0.1:" + embeddedMongoPort)) {
            EmbeddedMongoServer mongo = new EmbeddedMongoServer(embeddedHost, embeddedMongoPort,
                    Path.of(dataDir, "mongo", "pipeline.mv")).start();
            context.addService(SharedBeans.closing(mongo), true, false);
            LOG.info("Embedded MongoDB wire server listening on {} (it builds unique indexes only and expires nothing "
                    + "by TTL: queries read their collection through, and the pipeline prunes by time itself; "
                    + "MONGODB_URI for a real MongoDB)", mongo.connectionString());
        }
        tracing(context, pipelineRoles);
        SharedBeans shared = shared(context);

        if (pipelineRoles.roles().contains("gateway") || pipelineRoles.roles().contains("rag")) {
            context.getRegistry().bind("rateLimits", GatewayBeans.rateLimits(shared));
        }
        if (pipelineRoles.roles().contains("gateway")) {
            context.getInjector().newInstance(GatewayBeans.class).bind(shared);
        }
        if (pipelineRoles.roles().contains("rag")) {
            context.getInjector().newInstance(RagBeans.class).bind(shared);
        }
        if (pipelineRoles.roles().contains("processors")) {
            context.getInjector().newInstance(ProcessorBeans.class).bind(shared);
            context.getInjector().newInstance(NetworkBeans.class).bindProcessors(shared);
        }
        if (pipelineRoles.roles().contains("gateway")) {
            context.getInjector().newInstance(NetworkBeans.class).bind(shared);
        }
        if (pipelineRoles.roles().contains("scheduler")) {
            context.getInjector().newInstance(SchedulerBeans.class).bind(shared);
        }
    }

    /**
     * The clients and beans more than one role uses: MongoDB, the Kafka topic admin (internal topics ensured), the
     * topic registry, API keys, the JSON error answers of the REST routes, the processors' status, and the HTTP
     * server's CORS and size limits.
     */
    private SharedBeans shared(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        // containers start in any order: wait for MongoDB and Kafka rather than fail on the first refusal (the probe
        // asks with a short server selection, the pipeline's client keeps the URI's own)
        // the URI's own settings (credentials, tls=true ...), and the trust store of a private CA when one is set
        com.mongodb.MongoClientSettings mongo = new io.fineas.pipeline.common.MongoClientConfig(mongoUri,
                mongoTruststoreLocation, mongoTruststorePassword, mongoTruststoreType).settings();
        try (MongoClient probe = MongoClients.create(com.mongodb.MongoClientSettings.builder(mongo)
                .applyToClusterSettings(c -> c.serverSelectionTimeout(3, java.util.concurrent.TimeUnit.SECONDS))
                .build())) {
            io.fineas.pipeline.infra.StartupWait.until("MongoDB (MONGODB_URI)", () -> pings(probe),
                    Duration.ofMillis(startupMaxWaitMs));
        }
        MongoClient mongoClient = MongoClients.create(mongo);
        context.addService(SharedBeans.closing(mongoClient), true, false);
        registry.bind("mongo", mongoClient);
        registry.bind("mongodbHealth", PingHealthCheck.mongodb(mongoClient));
        MongoDatabase system = mongoClient.getDatabase(systemDatabase);

        // one set of client settings for every Kafka client: Camel's (its additional properties, applied last) and ours
        KafkaClientSettings kafka = new KafkaClientSettings(kafkaBrokers, kafkaSecurityProtocol, kafkaSaslMechanism,
                kafkaSaslJaasConfig, kafkaTruststoreLocation, kafkaTruststorePassword, kafkaTruststoreType,
                kafkaKeystoreLocation, kafkaKeystorePassword, kafkaKeyPassword, kafkaKeystoreType,
                kafkaEndpointIdentification);
        KafkaConfiguration camelKafka = context.getComponent("kafka", KafkaComponent.class).getConfiguration();
        Map<String, Object> additional = new java.util.HashMap<>(camelKafka.getAdditionalProperties() == null
                ? Map.of() : camelKafka.getAdditionalProperties());
        additional.putAll(kafka.security());
        camelKafka.setAdditionalProperties(additional);
        KafkaTopicAdmin topicAdmin = new KafkaTopicAdmin(kafka, partitions, replicationFactor);
        context.addService(SharedBeans.closing(topicAdmin), true, false);
        io.fineas.pipeline.infra.StartupWait.until("Kafka at " + kafka,
                () -> topicAdmin.reachable(Duration.ofSeconds(5)), Duration.ofMillis(startupMaxWaitMs));
        topicAdmin.ensure(csv(internalTopics));

        MongoDatabase data = mongoClient.getDatabase(mongoDatabase);
        TopicRegistry topicRegistry = new TopicRegistry(system.getCollection("topics"),
                system.getCollection("topic_stats"), data, topicAdmin,
                dataTopicPrefix);
        Segments segments = new Segments(topicRegistry);
        ProcessorStatus processorStatus = new ProcessorStatus(system.getCollection("processors"), segments);
        registry.bind("topicRegistry", topicRegistry);
        registry.bind("segments", segments);
        ApiKeys apiKeys = new ApiKeys(system.getCollection("api_keys"), topicRegistry::topicExists);
        registry.bind("apiKeys", apiKeys);
        // the one authorization step of every REST route (routes/*: policy ref anyKey, readTopic, writeTopic, admin)
        registry.bind("anyKey", new ScopePolicy(apiKeys, ScopePolicy.Need.ANY_KEY));
        registry.bind("readTopic", new ScopePolicy(apiKeys, ScopePolicy.Need.READ_TOPIC));
        // the scheduler proves it is the scheduler to the gateway (X-Schedule-Entry is for it alone; and, without a key
        // of its own, its token stands for one on POST /collect: ScopePolicy.SCHEDULER)
        io.fineas.pipeline.common.SchedulerToken token = io.fineas.pipeline.common.SchedulerToken.of(schedulerToken,
                adminKey);
        registry.bind("schedulerToken", token);
        registry.bind("writeTopic", new ScopePolicy(apiKeys, ScopePolicy.Need.WRITE_TOPIC, token));
        registry.bind("admin", new ScopePolicy(apiKeys, ScopePolicy.Need.ADMIN));
        registry.bind("apiErrors", new ApiErrors());
        // batching consumers (the RAG ingestion, the gateway's run records) commit each batch after its effect
        registry.bind("kafkaBatch", new io.fineas.pipeline.common.KafkaBatch(topicRegistry::isCurrentDataTopic));
        // writes stop before the data directory's disk is full (readiness data-disk; routes: requireRoom)
        io.fineas.pipeline.infra.DiskSpace disk = new io.fineas.pipeline.infra.DiskSpace(Path.of(dataDir),
                diskMinFreeMb << 20);
        registry.bind("diskSpace", disk);
        // the REST bodies' parser: a duplicate key (which of two topics would be checked?) and deep nesting refused
        registry.bind("strictJson", new com.fasterxml.jackson.databind.ObjectMapper(
                com.fasterxml.jackson.core.JsonFactory.builder()
                        .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                        .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                                .maxNestingDepth(16).build())
                        .build()));
        registry.bind("processorStatus", processorStatus);
        registry.bind("platform-http-engine", GatewayHttpServer.engineOnPort(context, apiPort));
        // the HTTP servers' connections, with their header and idle timeouts, through the Vert.x they were created by
        // (camel.beans.vertx: bound before Camel Main creates the servers); closed after them
        PipelineVertx vertx = registry.lookupByNameAndType("vertx", PipelineVertx.class);
        vertx.limits(headerTimeoutMs, idleTimeoutMs);
        // (once the context's services, the servers among them, are shut down: closed before them, it refused their
        // close, a WARN with a stack trace at every stop)
        context.addLifecycleStrategy(new org.apache.camel.support.LifecycleStrategySupport() {
            @Override
            public void onContextStopped(CamelContext ctx) {
                try {
                    vertx.close().toCompletionStage().toCompletableFuture().get(10,
                            java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    LOG.warn("The HTTP servers' Vert.x did not close: {}", e.toString());
                }
            }
        });
        // the HTTP server's router exists once the server has started
        context.addStartupListener((ctx, alreadyStarted) -> GatewayHttpServer.customize(ctx, csv(corsOrigins),
                maxBodyBytes, requestTimeoutMs, vertx.connections()));
        if (metricsEnabled) {
            // camel.metrics.enableExchangeEventNotifier is off: the same metrics, without a scan of the meter registry
            // per exchange; installed once camel-micrometer-prometheus has bound its registry
            context.addStartupListener(new org.apache.camel.ExtendedStartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
                    // not yet: the meter registry is bound by now, the routes' first exchanges come after
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) throws Exception {
                    ExchangeEventMetrics metrics = new ExchangeEventMetrics();
                    ctx.addService(metrics, true, true);
                    ctx.getManagementStrategy().addEventNotifier(metrics);
                    // what the shipped alert rules read: readiness and the data disk's free space
                    io.micrometer.core.instrument.MeterRegistry meters = ctx.getRegistry()
                            .findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
                    if (meters != null) {
                        io.fineas.pipeline.infra.OperationalMetrics.register(meters, ctx, disk);
                    }
                }
            });
        }
        return new SharedBeans(context, system, data, topicRegistry, segments, processorStatus, Path.of(dataDir),
                kafka);
    }

    private static boolean pings(MongoClient client) {
        try {
            client.getDatabase("admin").runCommand(new org.bson.Document("ping", 1));
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * "true"/"false", or "auto": embedded unless a server was configured, by its environment variable
     * ({@code configured}: KAFKA_BOOTSTRAP_SERVERS, MONGODB_URI) or by a property that points elsewhere than the
     * embedded server's own address ({@code resolved}: kafka.brokers, mongodb.uri).
     */
    static boolean embedded(String setting, String configured, String resolved, String embeddedAddress) {
        if ("auto".equalsIgnoreCase(setting)) {
            return (configured == null || configured.isBlank()) && embeddedAddress.equals(resolved);
        }
        return Boolean.parseBoolean(setting);
    }

    private static List<String> csv(String value) {
        return value == null ? List.of()
                : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
