package io.fineas.pipeline.rag;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.AbstractInProcessEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxBertBiEncoder;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import dev.langchain4j.model.output.Response;
import io.fineas.pipeline.common.Hashes;

/**
 * An in-process embedding model (all-MiniLM-L6-v2, full or quantized, from langchain4j's jars; or e5-small-v2,
 * quantized, the extractive model's reader of questions), shared by everything in the RAG service that embeds text with
 * it, with three things langchain4j's own model class does not give:
 * <ul>
 * <li><b>Sized for the cores</b>: one ONNX Runtime session with {@code intraOpThreads} threads per inference (1 by
 * default: a sentence is too small to split) and {@code workers} inferences at once (the cores), instead of a pool of
 * one thread per core each running a session that itself uses every core.</li>
 * <li><b>Priorities</b>: every use has its own view ({@link #model(Use)}); the workers take queued texts by the use's
 * priority, so a question's embedding goes first, a record's chunks (searchable sooner) next, and the analysis of
 * records last: analysis yields while ingestion has work, without waiting for it otherwise.</li>
 * <li><b>No text embedded twice</b>: a bounded cache of vectors keyed by the SHA-256 of the text, shared by all uses
 * (an analysis's sentences recur in later analyses; a reader's, in later questions over the same passages).</li>
 * </ul>
 */
public final class LocalEmbeddings implements AutoCloseable {

    /** Who embeds, in order of priority. */
    public enum Use {
        INTERACTIVE, INGESTION, ANALYSIS
    }

    private static final int DIMENSION = 384;

    private final String name;
    private final OrtSession session;
    private final OnnxBertBiEncoder encoder;
    private final ThreadPoolExecutor workers;
    private final Cache<String, float[]> cache;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong threadNumber = new AtomicLong();
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong[] computed = counters();
    private final AtomicLong[] cached = counters();
    private final EmbeddingModel[] views = new EmbeddingModel[Use.values().length];

    /**
     * @param name all-minilm-l6-v2, all-minilm-l6-v2-q or e5-small-v2-q (all three mean-pooled 384-dimension vectors)
     * @param workers inferences at once (0: the number of cores)
     * @param intraOpThreads threads of one inference
     * @param cacheEntries vectors kept (0: no cache)
     */
    public LocalEmbeddings(String name, int workers, int intraOpThreads, long cacheEntries) {
        String model = switch (name) {
            case "all-minilm-l6-v2" -> "/all-minilm-l6-v2.onnx";
            case "all-minilm-l6-v2-q" -> "/all-minilm-l6-v2-q.onnx";
            case "e5-small-v2-q" -> "/e5-small-v2-q.onnx";
            default -> throw new IllegalArgumentException("Unknown embedding model '" + name
                    + "': use all-minilm-l6-v2, all-minilm-l6-v2-q or e5-small-v2-q");
        };
        this.name = name;
        String tokenizer = model.replace(".onnx", "-tokenizer.json");
        int threads = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        try (InputStream modelBytes = resource(model); InputStream tokenizerJson = resource(tokenizer);
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(Math.max(1, intraOpThreads));
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // threads of an inference sleep when idle instead of spinning on the cores the other inferences need
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            OrtEnvironment environment = OrtEnvironment.getEnvironment();
            this.session = environment.createSession(modelBytes.readAllBytes(), options);
            this.encoder = new OnnxBertBiEncoder(environment, session, tokenizerJson, PoolingMode.MEAN);
        } catch (IOException | OrtException e) {
            throw new IllegalStateException("cannot load the embedding model " + name + ": " + e.getMessage(), e);
        }
        this.workers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new PriorityBlockingQueue<>(),
                r -> {
                    Thread t = new Thread(r, "embeddings-" + threadNumber.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.cache = cacheEntries > 0 ? Caffeine.newBuilder().maximumSize(cacheEntries).build() : null;
        for (Use use : Use.values()) {
            views[use.ordinal()] = new View(use);
        }
    }

    /** The embedding model as seen by one use: its priority, the shared cache, the shared workers. */
    public EmbeddingModel model(Use use) {
        return views[use.ordinal()];
    }

    /** Texts run through the model for this use so far. */
    public long computed(Use use) {
        return computed[use.ordinal()].get();
    }

    /** Texts answered from the cache for this use so far. */
    public long cached(Use use) {
        return cached[use.ordinal()].get();
    }

    /** Texts embedded at once. */
    public int workers() {
        return workers.getMaximumPoolSize();
    }

    /** Texts waiting for a worker. */
    public int queued() {
        return workers.getQueue().size();
    }

    @Override
    public void close() throws OrtException {
        workers.shutdownNow();
        session.close();
    }

    private final class View extends AbstractInProcessEmbeddingModel {
        private final Use use;

        View(Use use) {
            super(prioritised(use));
            this.use = use;
        }

        @Override
        protected OnnxBertBiEncoder model() {
            return encoder;
        }

        @Override
        protected Integer knownDimension() {
            return DIMENSION;
        }

        @Override
        public String modelName() {
            return name;
        }

        @Override
        public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
            Embedding[] out = new Embedding[segments.size()];
            String[] keys = new String[segments.size()];
            List<TextSegment> missing = new ArrayList<>();
            List<Integer> at = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                float[] hit = null;
                if (cache != null) {
                    keys[i] = Hashes.sha256Hex(segments.get(i).text());
                    hit = cache.getIfPresent(keys[i]);
                }
                if (hit != null) {
                    out[i] = Embedding.from(hit);
                } else {
                    missing.add(segments.get(i));
                    at.add(i);
                }
            }
            cached[use.ordinal()].addAndGet(segments.size() - missing.size());
            if (!missing.isEmpty()) {
                List<Embedding> fresh = embed(missing);
                computed[use.ordinal()].addAndGet(missing.size());
                for (int j = 0; j < fresh.size(); j++) {
                    int i = at.get(j);
                    out[i] = fresh.get(j);
                    if (cache != null) {
                        cache.put(keys[i], fresh.get(j).vector());
                    }
                }
            }
            return Response.from(List.of(out));
        }

        /**
         * Several texts: langchain4j spreads them over the executor, which is the prioritised workers. One text:
         * langchain4j would run it on the caller's thread, past the priorities; a question's does (it would wait for
         * nothing), any other use's goes through the workers.
         */
        private List<Embedding> embed(List<TextSegment> texts) {
            if (texts.size() > 1 || use == Use.INTERACTIVE) {
                return super.embedAll(texts).content();
            }
            return CompletableFuture.supplyAsync(() -> super.embedAll(texts).content(), prioritised(use)).join();
        }
    }

    private Executor prioritised(Use use) {
        return task -> workers.execute(new Prioritised(use.ordinal(), sequence.incrementAndGet(), task, busyNanos));
    }

    /** Time the workers have spent embedding, all together (seconds): how busy the model kept the cores. */
    public double busySeconds() {
        return busyNanos.get() / 1e9;
    }

    /** A queued text: by its use's priority, then first come first served. */
    private record Prioritised(int priority, long order, Runnable task, AtomicLong busy)
            implements Runnable, Comparable<Prioritised> {
        @Override
        public void run() {
            long start = System.nanoTime();
            try {
                task.run();
            } finally {
                busy.addAndGet(System.nanoTime() - start);
            }
        }

        @Override
        public int compareTo(Prioritised other) {
            return priority != other.priority ? Integer.compare(priority, other.priority)
                    : Long.compare(order, other.order);
        }
    }

    private static InputStream resource(String path) {
        InputStream in = LocalEmbeddings.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("the embedding model's file " + path + " is not on the class path"
                    + " (the image holds only the model it was built for: docker build --build-arg EMBEDDING_MODEL=...)");
        }
        return in;
    }

    private static AtomicLong[] counters() {
        AtomicLong[] c = new AtomicLong[Use.values().length];
        for (int i = 0; i < c.length; i++) {
            c[i] = new AtomicLong();
        }
        return c;
    }
}
