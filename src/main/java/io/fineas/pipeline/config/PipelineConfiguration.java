package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.fineas.pipeline.PipelineRoles;
import io.fineas.pipeline.gateway.ApiErrors;
import io.fineas.pipeline.gateway.ApiKeys;
import io.fineas.pipeline.gateway.ChatRequests;
import io.fineas.pipeline.gateway.CollectRequests;
import io.fineas.pipeline.gateway.Runs;
import io.fineas.pipeline.gateway.TopicRegistry;
import io.fineas.pipeline.infra.EmbeddedKafkaBroker;
import io.fineas.pipeline.infra.EmbeddedMongoServer;
import io.fineas.pipeline.processors.CaptureRetryPolicy;
import io.fineas.pipeline.processors.ProcessorCatalog;
import io.fineas.pipeline.processors.ProcessorConfig;
import io.fineas.pipeline.processors.ProcessorRuns;
import io.fineas.pipeline.processors.ProcessorStatus;
import io.fineas.pipeline.rag.Ingestion;
import io.fineas.pipeline.rag.KafkaBatch;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.rag.PineconeVectorStore;
import io.fineas.pipeline.rag.SemanticSearch;
import io.fineas.pipeline.rag.VectorStore;
import io.fineas.pipeline.rag.llm.AnalysisService;
import io.fineas.pipeline.rag.llm.ChatService;
import io.fineas.pipeline.rag.llm.ExtractiveChatModel;
import io.fineas.pipeline.rag.llm.LlmRetryPolicy;
import io.fineas.pipeline.rag.llm.Prompts;
import io.fineas.pipeline.rag.llm.RetryAfterHttpClientBuilder;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.fineas.pipeline.scheduler.InMemorySchedulerState;
import io.fineas.pipeline.scheduler.RedisSchedulerState;
import io.fineas.pipeline.scheduler.ScheduleBook;
import io.fineas.pipeline.scheduler.SchedulerState;
import io.fineas.pipeline.util.KafkaTopicAdmin;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import org.apache.camel.builder.TemplatedRouteBuilder;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.Service;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipeline's beans. Camel Main calls {@link #configure} before it configures components, starts the HTTP server
 * and loads routes, so this is where the embedded default (in-process Kafka broker and MongoDB wire server) starts,
 * before any client needs it; the beans are bound in that order for the same reason.
 */
public class PipelineConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineConfiguration.class);
    /** The longest a provider's Retry-After is honoured before the call is reported failed. */
    private static final Duration RETRY_AFTER_MAX = Duration.ofSeconds(60);

    @PropertyInject("pipeline.roles")
    private String roles;
    @PropertyInject("pipeline.data-dir")
    private String dataDir;
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
    @PropertyInject("mongodb.database")
    private String mongoDatabase;
    @PropertyInject("mongodb.system-database")
    private String systemDatabase;
    @PropertyInject("pipeline.gateway.admin-key")
    private String adminKey;
    @PropertyInject("pipeline.gateway.max-body-bytes")
    private long maxBodyBytes;
    @PropertyInject("pipeline.gateway.cors-origins")
    private String corsOrigins;

    @PropertyInject("pipeline.scheduler.schedule-file")
    private String scheduleFile;
    @PropertyInject("pipeline.scheduler.redis-url")
    private String redisUrl;
    @PropertyInject("pipeline.scheduler.redis-prefix")
    private String redisPrefix;
    @PropertyInject("pipeline.scheduler.claim-ttl-ms")
    private long claimTtlMs;
    @PropertyInject("pipeline.scheduler.state")
    private String schedulerState;

    @PropertyInject("pipeline.processors.dir")
    private String processorsDir;
    @PropertyInject("pipeline.processors.batch-size")
    private int processorBatchSize;
    @PropertyInject("pipeline.processors.workers")
    private int processorWorkers;
    @PropertyInject("pipeline.processors.retries")
    private int processorRetries;
    @PropertyInject("pipeline.processors.max-alert-age-minutes")
    private long maxAlertAgeMinutes;

    @PropertyInject("pipeline.rag.chunk-size")
    private int chunkSize;
    @PropertyInject("pipeline.rag.chunk-overlap")
    private int chunkOverlap;
    @PropertyInject("pipeline.rag.max-record-chars")
    private int maxRecordChars;
    @PropertyInject("pipeline.rag.embedding-model")
    private String embeddingModel;
    @PropertyInject("pipeline.rag.vector-store")
    private String vectorStoreKind;
    @PropertyInject("pipeline.rag.pinecone.api-key")
    private String pineconeApiKey;
    @PropertyInject("pipeline.rag.pinecone.index-host")
    private String pineconeHost;

    @PropertyInject("pipeline.llm.provider")
    private String llmProvider;
    @PropertyInject("pipeline.llm.openai.base-url")
    private String openAiBaseUrl;
    @PropertyInject("pipeline.llm.openai.api-key")
    private String openAiKey;
    @PropertyInject("pipeline.llm.openai.model")
    private String openAiModel;
    @PropertyInject("pipeline.llm.ollama.base-url")
    private String ollamaBaseUrl;
    @PropertyInject("pipeline.llm.ollama.model")
    private String ollamaModel;
    @PropertyInject("pipeline.llm.timeout-ms")
    private long llmTimeoutMs;
    @PropertyInject("pipeline.llm.retries")
    private int llmRetries;
    @PropertyInject("pipeline.llm.extractive-sentences")
    private int extractiveSentences;
    @PropertyInject("pipeline.prompts.dir")
    private String promptsDir;
    @PropertyInject("pipeline.chat.timeout-ms")
    private long chatTimeoutMs;
    @PropertyInject("pipeline.chat.top-k")
    private int chatTopK;
    @PropertyInject("pipeline.chat.history-turns")
    private int chatHistoryTurns;

    @Override
    public void configure(CamelContext context) throws Exception {
        // this instance's own consumer group for chat replies (each gateway instance reads every reply)
        context.getPropertiesComponent().addOverrideProperty("pipeline.instance-id", UUID.randomUUID().toString());
        PipelineRoles pipelineRoles = PipelineRoles.parse(roles);
        Registry registry = context.getRegistry();
        LOG.info("Pipeline roles: {}", pipelineRoles);

        if (enabled(embeddedKafka, "KAFKA_BOOTSTRAP_SERVERS")) {
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(embeddedHost, embeddedKafkaPort,
                    Path.of(dataDir, "kafka")).start();
            context.addService(closing(broker), true, false);
            LOG.info("Embedded Kafka broker (KRaft) listening on {}", broker.bootstrapServers());
        }
        if (enabled(embeddedMongo, "MONGODB_URI")) {
            EmbeddedMongoServer mongo = new EmbeddedMongoServer(embeddedHost, embeddedMongoPort,
                    Path.of(dataDir, "mongo", "pipeline.mv")).start();
            context.addService(closing(mongo), true, false);
            LOG.info("Embedded MongoDB wire server listening on {}", mongo.connectionString());
        }

        MongoClient mongoClient = MongoClients.create(mongoUri);
        context.addService(closing(mongoClient), true, false);
        registry.bind("mongo", mongoClient);
        MongoDatabase system = mongoClient.getDatabase(systemDatabase);

        KafkaTopicAdmin topicAdmin = new KafkaTopicAdmin(kafkaBrokers, partitions, replicationFactor);
        context.addService(closing(topicAdmin), true, false);
        topicAdmin.ensure(csv(internalTopics));

        TopicRegistry topicRegistry = new TopicRegistry(system.getCollection("topics"),
                mongoClient.getDatabase(mongoDatabase), topicAdmin, dataTopicPrefix);
        ApiKeys apiKeys = new ApiKeys(system.getCollection("api_keys"));
        registry.bind("topicRegistry", topicRegistry);
        registry.bind("apiKeys", apiKeys);
        registry.bind("collectRequests", new CollectRequests(apiKeys, topicRegistry));
        registry.bind("apiErrors", new ApiErrors());
        registry.bind("runs", new Runs(system.getCollection("runs")));
        ProcessorStatus processorStatus = new ProcessorStatus(system.getCollection("processors"), topicRegistry);
        registry.bind("processorStatus", processorStatus);
        registry.bind("chatRequests", new ChatRequests(Duration.ofMillis(chatTimeoutMs)));
        // the HTTP server's router exists once the server has started
        context.addStartupListener((ctx, alreadyStarted) -> GatewayHttpServer.customize(ctx, csv(corsOrigins),
                maxBodyBytes));

        if (pipelineRoles.roles().contains("gateway")) {
            topicRegistry.recover();
            apiKeys.ensureAdminKey(adminKey);
        }
        if (pipelineRoles.roles().contains("rag")) {
            rag(context, topicRegistry);
        }
        if (pipelineRoles.roles().contains("processors")) {
            processors(context, topicRegistry, processorStatus);
        }
        if (pipelineRoles.roles().contains("scheduler")) {
            SchedulerState state = schedulerState(context);
            state.reset();
            registry.bind("scheduleBook", new ScheduleBook(Path.of(scheduleFile), state, Clock.systemUTC()));
            LOG.info("Scheduler state: {}", state.describe());
        }
    }

    /** The RAG services' beans: the in-process embedding model, the splitter, the vector store. */
    private void rag(CamelContext context, TopicRegistry topicRegistry) throws Exception {
        EmbeddingModel model = switch (embeddingModel) {
            case "all-minilm-l6-v2" -> new AllMiniLmL6V2EmbeddingModel();
            case "all-minilm-l6-v2-q" -> new AllMiniLmL6V2QuantizedEmbeddingModel();
            default -> throw new IllegalArgumentException("Unknown EMBEDDING_MODEL '" + embeddingModel
                    + "': use all-minilm-l6-v2 or all-minilm-l6-v2-q");
        };
        boolean pinecone = "pinecone".equals(vectorStoreKind)
                || ("auto".equals(vectorStoreKind) && pineconeApiKey != null && !pineconeApiKey.isBlank());
        if (pinecone && (pineconeHost == null || pineconeHost.isBlank())) {
            throw new IllegalArgumentException("PINECONE_INDEX_HOST is required with PINECONE_API_KEY");
        }
        VectorStore store = pinecone ? new PineconeVectorStore(pineconeHost, pineconeApiKey, topicRegistry::activeTopics)
                : new LuceneVectorStore(Path.of(dataDir, "vectors"));
        context.addService(closing(store), true, false);
        LOG.info("Vector store: {}; embedding model: {}", store.describe(), embeddingModel);
        Registry registry = context.getRegistry();
        registry.bind("embeddingModel", model);
        registry.bind("vectorStore", store);
        registry.bind("ingestion", new Ingestion(model, DocumentSplitters.recursive(chunkSize, chunkOverlap), store,
                maxRecordChars));
        registry.bind("semanticSearch", new SemanticSearch(model, store));
        registry.bind("kafkaBatch", new KafkaBatch());

        ChatModel chatModel = switch (llmProvider) {
            case "extractive" -> new ExtractiveChatModel(model, extractiveSentences);
            case "openai" -> OpenAiChatModel.builder().baseUrl(openAiBaseUrl).apiKey(openAiKey).modelName(openAiModel)
                    .httpClientBuilder(new RetryAfterHttpClientBuilder(RETRY_AFTER_MAX))
                    .timeout(Duration.ofMillis(llmTimeoutMs)).maxRetries(0).build();
            case "ollama" -> OllamaChatModel.builder().baseUrl(ollamaBaseUrl).modelName(ollamaModel)
                    .httpClientBuilder(new RetryAfterHttpClientBuilder(RETRY_AFTER_MAX))
                    .timeout(Duration.ofMillis(llmTimeoutMs)).maxRetries(0).build();
            default -> throw new IllegalArgumentException("Unknown LLM_PROVIDER '" + llmProvider
                    + "': use extractive, openai or ollama");
        };
        String modelName = switch (llmProvider) {
            case "openai" -> openAiModel;
            case "ollama" -> ollamaModel;
            default -> ExtractiveChatModel.NAME;
        };
        LOG.info("LLM provider: {} (model {})", llmProvider, modelName);
        Prompts prompts = new Prompts(Path.of(promptsDir), 4000);
        registry.bind("chatModel", chatModel);
        registry.bind("llmRetryPolicy", new LlmRetryPolicy(llmRetries));
        registry.bind("analysisService", new AnalysisService(prompts, modelName));
        MongoClient mongoClient = registry.lookupByNameAndType("mongo", MongoClient.class);
        registry.bind("chatService", new ChatService((SemanticSearch) registry.lookupByName("semanticSearch"), prompts,
                mongoClient.getDatabase(systemDatabase).getCollection("chat_sessions"), modelName, chatTopK,
                chatHistoryTurns));
    }

    /**
     * Loads the processor configs, reports the misconfigured ones, and makes one route per processor from the
     * `processor` route template (routes/processors/processor.camel.yaml) once the routes are loaded.
     */
    private void processors(CamelContext context, TopicRegistry topicRegistry, ProcessorStatus status)
            throws Exception {
        ProcessorCatalog catalog = new ProcessorCatalog(Path.of(processorsDir), processorBatchSize, processorWorkers,
                processorRetries).load();
        for (ProcessorCatalog.Problem p : catalog.problems()) {
            LOG.error("Processor config {} is misconfigured and will not run: {}", p.file(), p.reason());
            status.misconfigured(p.file(), p.reason());
        }
        Registry registry = context.getRegistry();
        registry.bind("processorRuns", new ProcessorRuns(catalog.configs(), topicRegistry, status,
                Duration.ofMinutes(maxAlertAgeMinutes)));
        registry.bind("captureRetryPolicy", new CaptureRetryPolicy());
        for (ProcessorConfig c : catalog.configs()) {
            registry.bind("processor-" + c.id() + "-workers", context.getExecutorServiceManager()
                    .newFixedThreadPool(this, "processor-" + c.id(), c.workers()));
            status.ready(c);
            if (!topicRegistry.segmentExists(c.topic(), c.segment())) {
                String reason = ProcessorStatus.missing(c.topic(), c.segment());
                LOG.warn("Processor {} waits: {}; it will check again at each alert", c.id(), reason);
                status.waiting(c.id(), reason);
            }
        }
        // the template is one of the YAML routes, loaded after this configuration: add the routes once Camel runs
        context.addStartupListener(new ExtendedStartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) throws Exception {
                for (ProcessorConfig c : catalog.configs()) {
                    TemplatedRouteBuilder.builder(ctx, "processor").routeId("processor-" + c.id())
                            .parameter("processorId", c.id()).parameter("batchSize", c.batchSize())
                            .parameter("workers", c.workers()).add();
                }
                LOG.info("Processors started: {} ({} misconfigured)", catalog.configs().stream()
                        .map(ProcessorConfig::id).toList(), catalog.problems().size());
            }
        });
    }

    private SchedulerState schedulerState(CamelContext context) throws Exception {
        RedisSchedulerState redis = new RedisSchedulerState(redisUrl, redisPrefix, Duration.ofMillis(claimTtlMs));
        boolean redisConfigured = System.getenv("REDIS_URL") != null && !System.getenv("REDIS_URL").isBlank();
        if ("auto".equalsIgnoreCase(schedulerState) && !redisConfigured && !redis.ping()) {
            redis.close();
            LOG.warn("No Redis answers at {} and REDIS_URL is not set: the scheduler keeps its last calls in memory. "
                    + "Several scheduler instances would each fire every entry; start Redis or set REDIS_URL.",
                    redisUrl);
            return new InMemorySchedulerState();
        }
        context.addService(closing(redis), true, false);
        return redis;
    }

    /** Camel stops services in the reverse order they were added: clients first, embedded servers last. */
    private static Service closing(AutoCloseable resource) {
        return new ServiceSupport() {
            @Override
            protected void doStop() throws Exception {
                resource.close();
            }
        };
    }

    /** "true"/"false", or "auto": embedded unless the named environment variable points at a real server. */
    private static boolean enabled(String setting, String envVariable) {
        if ("auto".equalsIgnoreCase(setting)) {
            String external = System.getenv(envVariable);
            return external == null || external.isBlank();
        }
        return Boolean.parseBoolean(setting);
    }

    private static List<String> csv(String value) {
        return value == null ? List.of()
                : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
