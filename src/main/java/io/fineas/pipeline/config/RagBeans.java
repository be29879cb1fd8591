package io.fineas.pipeline.config;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.openai.OpenAiChatModel;
import io.fineas.pipeline.rag.Ingestion;
import io.fineas.pipeline.rag.Lineage;
import io.fineas.pipeline.rag.LiveSegments;
import io.fineas.pipeline.rag.LocalEmbeddings;
import io.fineas.pipeline.rag.Retrieval;
import io.fineas.pipeline.rag.eval.Evaluation;
import io.fineas.pipeline.rag.eval.Evaluations;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.rag.PineconeVectorStore;
import io.fineas.pipeline.rag.SemanticSearch;
import io.fineas.pipeline.rag.StoreHealth;
import io.fineas.pipeline.rag.VectorStore;
import io.fineas.pipeline.rag.llm.AnalysisService;
import io.fineas.pipeline.rag.llm.ChatService;
import io.fineas.pipeline.rag.llm.ExtractiveChatModel;
import io.fineas.pipeline.rag.llm.InferenceStore;
import io.fineas.pipeline.rag.llm.LlmCircuit;
import io.fineas.pipeline.rag.llm.MeteredChatModel;
import io.fineas.pipeline.usage.PausedAnalyses;
import io.fineas.pipeline.usage.TokenLedger;
import io.fineas.pipeline.rag.llm.LlmRetryPolicy;
import io.fineas.pipeline.rag.llm.Prompts;
import io.fineas.pipeline.rag.llm.RetryAfterHttpClientBuilder;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.PropertyInject;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RAG services' beans (routes/rag/): the in-process embedding model, the splitter, the vector store (embedded
 * Lucene index or Pinecone), the chat model (extractive, OpenAI-compatible or Ollama), analysis and chat.
 */
public class RagBeans {

    private static final Logger LOG = LoggerFactory.getLogger(RagBeans.class);
    /** The longest a provider's Retry-After is honoured before the call is reported failed. */
    private static final Duration RETRY_AFTER_MAX = Duration.ofSeconds(60);

    @PropertyInject("pipeline.rag.eval-dir")
    private String evalDir;
    @PropertyInject("pipeline.rag.retrieval")
    private String retrieval;
    @PropertyInject("pipeline.rag.hybrid-alpha")
    private double hybridAlpha;
    @PropertyInject("pipeline.rag.chunk-size")
    private int chunkSize;
    @PropertyInject("pipeline.rag.chunk-overlap")
    private int chunkOverlap;
    @PropertyInject("pipeline.rag.max-record-chars")
    private int maxRecordChars;
    @PropertyInject("pipeline.rag.max-text-chars")
    private int maxTextChars;
    @PropertyInject("pipeline.kafka.data-topic-prefix")
    private String dataTopicPrefix;
    @PropertyInject("pipeline.rag.embedding-model")
    private String embeddingModel;
    @PropertyInject("pipeline.rag.model-workers")
    private int modelWorkers;
    @PropertyInject("pipeline.rag.model-intra-op-threads")
    private int modelIntraOpThreads;
    @PropertyInject("pipeline.rag.embedding-cache-entries")
    private long embeddingCacheEntries;
    @PropertyInject("pipeline.rag.vector-store")
    private String vectorStoreKind;
    @PropertyInject("pipeline.rag.vector-format")
    private String vectorFormat;
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
    @PropertyInject("pipeline.llm.open-state-ms")
    private long openStateMs;
    @PropertyInject("pipeline.llm.retries")
    private int llmRetries;
    @PropertyInject("pipeline.llm.parallel")
    private int llmParallel;
    @PropertyInject("pipeline.llm.extractive-sentences")
    private int extractiveSentences;
    @PropertyInject("pipeline.llm.extractive-reader")
    private String extractiveReader;
    @PropertyInject("pipeline.prompts.dir")
    private String promptsDir;
    @PropertyInject("pipeline.chat.top-k")
    private int chatTopK;
    @PropertyInject("pipeline.chat.session-ttl-minutes")
    private long chatSessionTtlMinutes;
    @PropertyInject("pipeline.chat.history-turns")
    private int chatHistoryTurns;

    public void bind(SharedBeans shared) throws Exception {
        // one model for every use: sized for the cores, questions before chunks before analyses, a shared cache
        LocalEmbeddings embeddings = new LocalEmbeddings(embeddingModel, modelWorkers, modelIntraOpThreads,
                embeddingCacheEntries);
        shared.closeOnStop(embeddings);
        VectorStore store = vectorStore(shared);
        shared.closeOnStop(store);
        LOG.info("Vector store: {}; embedding model: {} ({} inferences at once, {} thread(s) each, cache {} vectors)",
                store.describe(), embeddingModel, embeddings.workers(), modelIntraOpThreads, embeddingCacheEntries);
        LiveSegments live = shared.segments()::isLive;
        Registry registry = shared.context().getRegistry();
        EmbeddingModel interactive = embeddings.model(LocalEmbeddings.Use.INTERACTIVE);
        SemanticSearch search = new SemanticSearch(interactive, store, live,
                Retrieval.parse(retrieval, Retrieval.HYBRID), hybridAlpha);
        registry.bind("localEmbeddings", embeddings);
        // texts embedded by the model and answered from the cache, per use (the registry exists once Camel started)
        shared.whenMetersExist(meters -> {
            for (LocalEmbeddings.Use use : LocalEmbeddings.Use.values()) {
                countEmbeddings(meters, embeddings, use, use.name().toLowerCase(java.util.Locale.ROOT));
            }
        });
        registry.bind("embeddingModel", interactive);
        registry.bind("vectorStore", store);
        registry.bind("ingestion", new Ingestion(embeddings.model(LocalEmbeddings.Use.INGESTION),
                DocumentSplitters.recursive(chunkSize, chunkOverlap), store,
                maxRecordChars, maxTextChars, dataTopicPrefix, embeddingModel + "/recursive(" + chunkSize + "," + chunkOverlap + ")+headings", live));
        registry.bind("semanticSearch", search);
        registry.bind("lineage", new Lineage(store, shared.topics()::activeTopics,
                shared.system().getCollection("processors"), shared.system().getCollection("runs")));
        registry.bind("storeHealth", new StoreHealth());
        registry.bind("chunkCounts", new io.fineas.pipeline.rag.ChunkCounts(store, shared.topics()::activeTopics,
                shared.system().getCollection("topic_stats")));

        String modelName = switch (llmProvider) {
            case "openai" -> openAiModel;
            case "ollama" -> ollamaModel;
            default -> ExtractiveChatModel.NAME;
        };
        LOG.info("LLM provider: {} (model {})", llmProvider, modelName);
        Prompts prompts = new Prompts(Path.of(promptsDir), 4000);
        // every model call's tokens, per topic, segment and key; the topics' budgets (usage/)
        java.util.concurrent.atomic.AtomicReference<MeterRegistry> meters = new java.util.concurrent.atomic.AtomicReference<>();
        TokenLedger ledger = new TokenLedger(shared.system().getCollection("token_usage"), shared.topics()::tokenBudgets,
                () -> meters.updateAndGet(m -> m != null ? m
                        : shared.context().getRegistry().findSingleByType(MeterRegistry.class)), Clock.systemUTC());
        registry.bind("tokenLedger", ledger);
        registry.bind("pausedAnalyses", new PausedAnalyses(shared.system().getCollection(PausedAnalyses.COLLECTION),
                ledger::overBudget));
        // the extractive model embeds sentences: a question's at the interactive priority, an analysis's at the lowest;
        // it reads a question with its own model (e5-small-v2, trained on questions and the passages that answer them)
        ChatModel chat = chatModel(interactive, "extractive".equals(llmProvider) ? reader(shared, embeddings) : null);
        registry.bind("chatModel", new MeteredChatModel(chat, modelName, ledger));
        registry.bind("analysisModel", new MeteredChatModel("extractive".equals(llmProvider)
                ? chatModel(embeddings.model(LocalEmbeddings.Use.ANALYSIS), null) : chat, modelName, ledger));
        // the threads the model calls run on under their time limit (routes/rag/llm-chat: call-llm), shut down by Camel
        registry.bind("llmCallThreads", shared.context().getExecutorServiceManager()
                .newCachedThreadPool(this, "llm-call"));
        registry.bind("llmAnalysisThreads", shared.context().getExecutorServiceManager()
                .newFixedThreadPool(this, "llm-analysis", llmParallel));
        LlmCircuit circuit = new LlmCircuit(Duration.ofMillis(openStateMs));
        registry.bind("llmRetryPolicy", new LlmRetryPolicy(llmRetries, circuit));
        registry.bind("llmCircuit", circuit);
        registry.bind("llmCircuitBreaker", circuit.breaker());
        shared.whenMetersExist(m -> io.fineas.pipeline.infra.OperationalMetrics.registerCircuit(m,
                () -> circuit.breaker().getState() == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN));
        registry.bind("inferenceStore", new InferenceStore(shared.data(), live));
        // a record whose segment was deleted in the last second may still be analysed; its inference is not stored
        // (InferenceStore asks again, per batch)
        registry.bind("analysisService", new AnalysisService(prompts, modelName, shared.data(),
                live.cachedFor(Duration.ofSeconds(1)), ledger::overBudget, maxTextChars, dataTopicPrefix));
        ChatService chatService = new ChatService(search, prompts, shared.system().getCollection("chat_sessions"),
                modelName, chatTopK, chatHistoryTurns, Duration.ofMinutes(chatSessionTtlMinutes), ledger::overBudget);
        registry.bind("chatService", chatService);
        // golden sets measured against the live index (POST /evaluations), their figures kept and exposed as gauges
        Evaluations evaluations = new Evaluations(new Evaluation(search, chatService, chat, modelName),
                Path.of(evalDir), shared.system().getCollection("evaluations"),
                () -> shared.context().getRegistry().findSingleByType(MeterRegistry.class));
        registry.bind("evaluations", evaluations);
        shared.context().addStartupListener((context, alreadyStarted) -> evaluations.publishLatest());
    }

    /** Pinecone when asked for, or when its API key is set and the store is "auto"; the embedded index otherwise. */
    private VectorStore vectorStore(SharedBeans shared) throws Exception {
        boolean pinecone = "pinecone".equals(vectorStoreKind)
                || ("auto".equals(vectorStoreKind) && pineconeApiKey != null && !pineconeApiKey.isBlank());
        if (pinecone && (pineconeHost == null || pineconeHost.isBlank())) {
            throw new IllegalArgumentException("PINECONE_INDEX_HOST is required with PINECONE_API_KEY");
        }
        return pinecone ? new PineconeVectorStore(pineconeHost, pineconeApiKey, shared.topics()::activeTopics)
                : new LuceneVectorStore(shared.dataDir().resolve("vectors"), 100,
                        LuceneVectorStore.VectorFormat.parse(vectorFormat));
    }

    /**
     * The extractive model's reader of questions: the embedding model itself ({@code LLM_EXTRACTIVE_READER} set to
     * it), or e5-small-v2 loaded beside it (its own workers and cache: the context's sentences recur across questions).
     */
    private ExtractiveChatModel.Reader reader(SharedBeans shared, LocalEmbeddings embeddings) throws Exception {
        if (extractiveReader.equals(embeddingModel)) {
            return ExtractiveChatModel.Reader.symmetric(embeddings.model(LocalEmbeddings.Use.INTERACTIVE));
        }
        if (!"e5-small-v2-q".equals(extractiveReader)) {
            throw new IllegalArgumentException("Unknown LLM_EXTRACTIVE_READER '" + extractiveReader
                    + "': use e5-small-v2-q or the embedding model (" + embeddingModel + ")");
        }
        LocalEmbeddings e5 = new LocalEmbeddings(extractiveReader, modelWorkers, modelIntraOpThreads,
                embeddingCacheEntries);
        shared.closeOnStop(e5);
        // what it embedded and what came from its cache (a context's sentences recur across questions)
        shared.whenMetersExist(meters -> countEmbeddings(meters, e5, LocalEmbeddings.Use.INTERACTIVE, "reader"));
        return ExtractiveChatModel.Reader.e5(e5.model(LocalEmbeddings.Use.INTERACTIVE));
    }

    /** pipeline_embeddings_total{use, from="model"|"cache"}: what one use of a model embedded, and took from cache. */
    private static void countEmbeddings(MeterRegistry meters, LocalEmbeddings model, LocalEmbeddings.Use use,
            String label) {
        FunctionCounter.builder("pipeline.embeddings", model, e -> e.computed(use)).tag("use", label)
                .tag("from", "model").register(meters);
        FunctionCounter.builder("pipeline.embeddings", model, e -> e.cached(use)).tag("use", label)
                .tag("from", "cache").register(meters);
    }

    /** The configured model; {@code reader} (extractive only) reads questions, null for the embedding model. */
    private ChatModel chatModel(EmbeddingModel model, ExtractiveChatModel.Reader reader) {
        return switch (llmProvider) {
            case "extractive" -> new ExtractiveChatModel(model,
                    reader != null ? reader : ExtractiveChatModel.Reader.symmetric(model), extractiveSentences);
            case "openai" -> OpenAiChatModel.builder().baseUrl(openAiBaseUrl).apiKey(openAiKey).modelName(openAiModel)
                    .httpClientBuilder(new RetryAfterHttpClientBuilder(RETRY_AFTER_MAX))
                    .timeout(Duration.ofMillis(llmTimeoutMs)).maxRetries(0).build();
            case "ollama" -> OllamaChatModel.builder().baseUrl(ollamaBaseUrl).modelName(ollamaModel)
                    .httpClientBuilder(new RetryAfterHttpClientBuilder(RETRY_AFTER_MAX))
                    .timeout(Duration.ofMillis(llmTimeoutMs)).maxRetries(0).build();
            default -> throw new IllegalArgumentException("Unknown LLM_PROVIDER '" + llmProvider
                    + "': use extractive, openai or ollama");
        };
    }
}
