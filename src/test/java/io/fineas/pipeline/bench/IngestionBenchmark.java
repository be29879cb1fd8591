package io.fineas.pipeline.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import dev.langchain4j.data.document.Document;
import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.langchain4j.store.embedding.EmbeddingSearchRequest;
import dev.langchain4j.store.embedding.EmbeddingSearchResult;
import dev.langchain4j.store.embedding.EmbeddingStore;
import dev.langchain4j.store.embedding.EmbeddingStoreIngestor;
import io.fineas.pipeline.rag.Chunk;
import io.fineas.pipeline.rag.LocalEmbeddings;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.rag.SearchHit;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Ingestion throughput, three figures on the same documents, splitter, model and store: (a) the raw model's embedAll
 * over the chunks alone, (b) langchain4j's EmbeddingStoreIngestor, (c) the whole ingestion route, Kafka in and store
 * out. Also the quantized model's speed and agreement with the full one, and the vector index's search p95 and
 * recall@10 against exact search at 100k chunks.
 * Run with: mvn -B verify -Pbench -Dbench=IngestionBenchmark
 */
class IngestionBenchmark extends PipelineTestSupport {

    private static final int DOCUMENTS = Integer.getInteger("bench.documents", 120);
    private static final int INDEX_SIZE = Integer.getInteger("bench.index", 100_000);
    private static final String[] WORDS = ("revenue margin supply chain shipment demand forecast inventory tariff "
            + "semiconductor cloud retail consumer pricing guidance capital expenditure dividend growth quarter "
            + "analyst outlook logistics factory energy power data centre accelerator memory storage network")
            .split(" ");

    @Override
    protected String roles() {
        return "gateway,rag";
    }

    private static List<String> documents(int n) {
        Random r = new Random(42);
        List<String> docs = new ArrayList<>();
        for (int d = 0; d < n; d++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < 1800) {
                int len = 8 + r.nextInt(10);
                for (int w = 0; w < len; w++) {
                    sb.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
                }
                sb.append(". ");
            }
            docs.add("Report " + d + ". " + sb);
        }
        return docs;
    }

    /** Our store seen through langchain4j's EmbeddingStore, for the bare EmbeddingStoreIngestor. */
    private static final class StoreAdapter implements EmbeddingStore<TextSegment> {
        private final LuceneVectorStore store;

        StoreAdapter(LuceneVectorStore store) {
            this.store = store;
        }

        @Override
        public void addAll(List<String> ids, List<Embedding> embeddings, List<TextSegment> segments) {
            List<Chunk> chunks = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                chunks.add(new Chunk(ids.get(i), "bench", "b", ids.get(i), 0, segments.get(i).text(), Map.of()));
            }
            store.upsert(chunks, embeddings.stream().map(Embedding::vector).toList());
        }

        @Override
        public String add(Embedding embedding) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void add(String id, Embedding embedding) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String add(Embedding embedding, TextSegment segment) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> addAll(List<Embedding> embeddings) {
            throw new UnsupportedOperationException();
        }

        @Override
        public EmbeddingSearchResult<TextSegment> search(EmbeddingSearchRequest request) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void ingestionThroughputAndQuantizedModel() throws Exception {
        // the service's model as it is sized, but without its cache (which would find the chunks of (a) in (b) and
        // (c)); (b) gets its own, so the route in (c) embeds every chunk as well
        LocalEmbeddings uncached = new LocalEmbeddings("all-minilm-l6-v2", 0, 1, 0);
        LocalEmbeddings uncachedB = new LocalEmbeddings("all-minilm-l6-v2", 0, 1, 0);
        EmbeddingModel model = uncached.model(LocalEmbeddings.Use.INGESTION);
        DocumentSplitter splitter = DocumentSplitters.recursive(800, 80);
        List<String> docs = documents(DOCUMENTS);
        List<TextSegment> segments = new ArrayList<>();
        docs.forEach(d -> segments.addAll(splitter.split(Document.from(d))));
        model.embedAll(segments.subList(0, Math.min(32, segments.size()))); // warm-up
        uncachedB.model(LocalEmbeddings.Use.INGESTION).embedAll(segments.subList(0, Math.min(32, segments.size())));

        long t0 = System.nanoTime();
        List<Embedding> full = model.embedAll(segments).content();
        double a = segments.size() / ((System.nanoTime() - t0) / 1e9);

        // langchain4j's own model class: a thread per core, each inference on ONNX Runtime's default threads
        EmbeddingModel stock = new dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel();
        stock.embedAll(segments.subList(0, Math.min(32, segments.size())));
        t0 = System.nanoTime();
        stock.embedAll(segments);
        double a0 = segments.size() / ((System.nanoTime() - t0) / 1e9);

        Path dir = Files.createTempDirectory("bench-ingestor");
        double b;
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            EmbeddingStoreIngestor ingestor = EmbeddingStoreIngestor.builder().documentSplitter(splitter)
                    .embeddingModel(uncachedB.model(LocalEmbeddings.Use.INGESTION))
                    .embeddingStore(new StoreAdapter(store)).build();
            t0 = System.nanoTime();
            ingestor.ingest(docs.stream().map(Document::from).toList());
            b = segments.size() / ((System.nanoTime() - t0) / 1e9);
        }

        String topic = uniqueName("bench");
        createTopic(topic);
        createSegment(topic, "docs");
        LuceneVectorStore routeStore = context.getRegistry().lookupByNameAndType("vectorStore", LuceneVectorStore.class);
        int before = routeStore.count();
        List<String> records = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("topic", topic);
            r.put("segment", "docs");
            r.put("source", Map.of("kind", "bench", "id", "doc-" + i));
            r.put("content_type", "text/plain");
            r.put("content", docs.get(i));
            records.add(toJson(r));
        }
        t0 = System.nanoTime();
        publishAll(dataTopic(topic), records);
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> routeStore.count() - before >= segments.size());
        double c = segments.size() / ((System.nanoTime() - t0) / 1e9);

        EmbeddingModel quantized = new AllMiniLmL6V2QuantizedEmbeddingModel();
        quantized.embedAll(segments.subList(0, Math.min(32, segments.size())));
        t0 = System.nanoTime();
        List<Embedding> q = quantized.embedAll(segments).content();
        double aq = segments.size() / ((System.nanoTime() - t0) / 1e9);
        double agreement = agreementAt10(full, q, 50);
        uncached.close();
        uncachedB.close();

        String report = String.join("\n",
                String.format("documents: %d, chunks: %d (recursive splitter 800/80 characters)", docs.size(),
                        segments.size()),
                "",
                "| figure | chunks/s | ratio to (a) |",
                "|---|---|---|",
                String.format("| (a) raw model, embedAll over the chunks (LocalEmbeddings: a thread per core, one "
                        + "ONNX thread each, no cache) | %.1f | 1.00 |", a),
                String.format("| langchain4j's AllMiniLmL6V2EmbeddingModel (ONNX Runtime's default threads) | %.1f "
                        + "| %.2f |", a0, a0 / a),
                String.format("| (b) langchain4j EmbeddingStoreIngestor (same splitter, model, store) | %.1f | %.2f |",
                        b, b / a),
                String.format("| (c) ingestion route, Kafka in and store out | %.1f | %.2f |", c, c / a),
                String.format("| (a) with the quantized model | %.1f | %.2f |", aq, aq / a),
                "",
                String.format("(c)/(b) = %.2f; quantized model: top-10 neighbours agree with the full model's at %.1f%%",
                        c / b, agreement * 100));
        System.out.println(report);
        CollectBenchmark.write("ingestion", report);
        assertThat(c).isPositive();
    }

    @Test
    void searchLatencyAndRecallAtOneHundredThousandChunks() throws Exception {
        // "random": uniform on the sphere, the worst case; "clustered": 1,000 topics with chunks near them, as
        // sentence embeddings of a corpus are; "minilm": real all-MiniLM-L6-v2 embeddings of generated sentences
        // (bench.vectors=random|clustered|minilm|both, both = random and clustered; bench.minilm-size)
        String which = System.getProperty("bench.vectors", "both");
        StringBuilder report = new StringBuilder("| vectors | chunks | HNSW candidates | search p50 ms | search p95 ms "
                + "| recall@10 vs exact |\n|---|---|---|---|---|---|\n");
        int[] beams = {10, 100, 400};
        for (String set : List.of("random", "clustered", "minilm")) {
            boolean wanted = which.equals(set) || (which.equals("both") && !set.equals("minilm"));
            if (!wanted) {
                continue;
            }
            int size = set.equals("minilm") ? Integer.getInteger("bench.minilm-size", 20_000) : INDEX_SIZE;
            float[][] all = switch (set) {
                case "random" -> syntheticVectors(size + QUERIES, false);
                case "clustered" -> syntheticVectors(size + QUERIES, true);
                default -> sentenceEmbeddings(size + QUERIES);
            };
            double[][] quality = indexQuality(java.util.Arrays.copyOf(all, size),
                    java.util.Arrays.copyOfRange(all, size, size + QUERIES), beams);
            for (int i = 0; i < beams.length; i++) {
                report.append(String.format("| %s | %d | %d | %.2f | %.2f | %.3f |%n", set, size, beams[i],
                        quality[i][1], quality[i][0], quality[i][2]));
            }
        }
        System.out.println(report);
        CollectBenchmark.write("index", report.toString());
    }

    /**
     * What hybrid retrieval costs over vector-only at 100,000 chunks: the same index (clustered vectors, each chunk a
     * generated sentence indexed for BM25 too), the same 200 queries (a vector and a sentence each, after 20 warm-up
     * ones), the candidates the service asks for (20): vector search alone against vector search, BM25 search and
     * their reciprocal rank fusion. mvn -B verify -Pbench -Dbench='IngestionBenchmark#hybridSearchCost*'
     */
    @Test
    void hybridSearchCostAtOneHundredThousandChunks() throws Exception {
        int size = INDEX_SIZE;
        float[][] vectors = syntheticVectors(size + QUERIES, true);
        String[] companies = {"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
            "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive Dynamic", "Pied Piper"};
        Random r = new Random(13);
        String[] texts = new String[size + QUERIES];
        for (int i = 0; i < texts.length; i++) {
            StringBuilder sb = new StringBuilder(companies[r.nextInt(companies.length)]).append(" reports");
            for (int w = 6 + r.nextInt(9); w > 0; w--) {
                sb.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
            }
            texts[i] = sb.append(" ref-").append(r.nextInt(50_000)).append('.').toString();
        }
        Path dir = Files.createTempDirectory("bench-hybrid");
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            for (int from = 0; from < size; from += 5000) {
                List<Chunk> chunks = new ArrayList<>();
                List<float[]> vs = new ArrayList<>();
                for (int i = from; i < Math.min(size, from + 5000); i++) {
                    chunks.add(new Chunk("v" + i, "t", "s", "src" + i, 0, texts[i], Map.of("i", i)));
                    vs.add(vectors[i]);
                }
                store.upsert(chunks, vs);
            }
            int measured = QUERIES - 20;
            double[] vectorMs = new double[measured];
            double[] hybridMs = new double[measured];
            for (int q = 0; q < QUERIES; q++) {
                float[] query = vectors[size + q];
                String text = texts[size + q];
                long t0 = System.nanoTime();
                store.search(query, 20, null, null);
                long t1 = System.nanoTime();
                io.fineas.pipeline.rag.Retrieval.combine(store.search(query, 20, null, null),
                        store.keywordSearch(text, 20, null, null), 0.5);
                long t2 = System.nanoTime();
                if (q >= 20) {
                    vectorMs[q - 20] = (t1 - t0) / 1e6;
                    hybridMs[q - 20] = (t2 - t1) / 1e6;
                }
            }
            java.util.Arrays.sort(vectorMs);
            java.util.Arrays.sort(hybridMs);
            String report = String.format("| retrieval | chunks | candidates | search p50 ms | search p95 ms |%n"
                    + "|---|---|---|---|---|%n| vector | %d | 20 | %.2f | %.2f |%n| hybrid | %d | 20 | %.2f | %.2f |%n%n"
                    + "hybrid / vector: p50 %.2fx, p95 %.2fx%n", size, vectorMs[measured / 2],
                    vectorMs[(int) (measured * 0.95)], size, hybridMs[measured / 2], hybridMs[(int) (measured * 0.95)],
                    hybridMs[measured / 2] / vectorMs[measured / 2],
                    hybridMs[(int) (measured * 0.95)] / vectorMs[(int) (measured * 0.95)]);
            System.out.println(report);
            CollectBenchmark.write("hybrid", report);
        }
    }

    private void publishAll(String topic, List<String> values) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", io.fineas.pipeline.support.PipelineInfrastructure.bootstrapServers());
        p.put("linger.ms", "5");
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(p,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            for (String v : values) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, UUID.randomUUID().toString(), v));
            }
            producer.flush();
        }
    }

    /** Mean overlap of each chunk's 10 nearest neighbours under the two models (the full model as reference). */
    private static double agreementAt10(List<Embedding> reference, List<Embedding> other, int queries) {
        double sum = 0;
        int n = Math.min(queries, reference.size());
        for (int qi = 0; qi < n; qi++) {
            Set<Integer> a = topK(reference, reference.get(qi).vector(), 10);
            Set<Integer> b = topK(other, other.get(qi).vector(), 10);
            a.retainAll(b);
            sum += a.size() / 10.0;
        }
        return sum / n;
    }

    private static Set<Integer> topK(List<Embedding> all, float[] q, int k) {
        List<double[]> scored = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            scored.add(new double[] {dot(all.get(i).vector(), q), i});
        }
        scored.sort((x, y) -> Double.compare(y[0], x[0]));
        Set<Integer> out = new HashSet<>();
        for (int i = 0; i < Math.min(k, scored.size()); i++) {
            out.add((int) scored.get(i)[1]);
        }
        return out;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** 200 measured queries after 20 warm-up ones. */
    private static final int QUERIES = 220;

    /** Random unit vectors, or noisy copies of 1,000 random "topics" (cosine to their topic ~0.65). */
    private static float[][] syntheticVectors(int n, boolean clustered) {
        Random r = new Random(7);
        float[][] centroids = new float[1000][];
        for (int c = 0; c < centroids.length; c++) {
            centroids[c] = unit(r, 384);
        }
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = clustered ? near(centroids[r.nextInt(centroids.length)], r, 0.06) : unit(r, 384);
        }
        return out;
    }

    /**
     * Real all-MiniLM-L6-v2 embeddings (the default model) of generated one-sentence chunks: a company, a subject
     * and 6 to 14 words of the finance vocabulary each, so chunks share words and topics as a corpus does.
     */
    private float[][] sentenceEmbeddings(int n) {
        EmbeddingModel model = context.getRegistry().lookupByNameAndType("embeddingModel", EmbeddingModel.class);
        String[] companies = {"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne",
            "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive Dynamic", "Pied Piper"};
        Random r = new Random(11);
        float[][] out = new float[n][];
        List<TextSegment> batch = new ArrayList<>();
        int done = 0;
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder(companies[r.nextInt(companies.length)]).append(" reports ");
            int len = 6 + r.nextInt(9);
            for (int w = 0; w < len; w++) {
                sb.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
            }
            batch.add(TextSegment.from(sb.append('.').toString()));
            if (batch.size() == 256 || i == n - 1) {
                for (Embedding e : model.embedAll(batch).content()) {
                    out[done++] = e.vector();
                }
                batch.clear();
            }
        }
        return out;
    }

    /** Per beam width: {p95 ms, p50 ms, recall@10} of the HNSW index against brute force over the same vectors. */
    private static double[][] indexQuality(float[][] vectors, float[][] queryVectors, int[] beams) throws Exception {
        int size = vectors.length;
        int queries = queryVectors.length - 20;
        Path dir = Files.createTempDirectory("bench-index");
        try (LuceneVectorStore store = new LuceneVectorStore(dir)) {
            for (int from = 0; from < size; from += 5000) {
                List<Chunk> chunks = new ArrayList<>();
                List<float[]> vs = new ArrayList<>();
                for (int i = from; i < Math.min(size, from + 5000); i++) {
                    chunks.add(new Chunk("v" + i, "t", "s", "src" + i, 0, "", Map.of("i", i)));
                    vs.add(vectors[i]);
                }
                store.upsert(chunks, vs);
            }
            List<Set<String>> exact = new ArrayList<>();
            for (float[] query : queryVectors) {
                List<double[]> scored = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    scored.add(new double[] {dot(vectors[i], query), i});
                }
                scored.sort((x, y) -> Double.compare(y[0], x[0]));
                Set<String> top = new HashSet<>();
                for (int i = 0; i < 10; i++) {
                    top.add("v" + (int) scored.get(i)[1]);
                }
                exact.add(top);
            }
            double[][] out = new double[beams.length][];
            for (int b = 0; b < beams.length; b++) {
                double[] latencies = new double[queries];
                double recall = 0;
                for (int qi = 0; qi < queryVectors.length; qi++) {
                    long t0 = System.nanoTime();
                    List<SearchHit> hits = store.search(queryVectors[qi], 10, null, null, beams[b]);
                    double ms = (System.nanoTime() - t0) / 1e6;
                    if (qi < 20) {
                        continue; // warm-up
                    }
                    latencies[qi - 20] = ms;
                    Set<String> truth = exact.get(qi);
                    recall += hits.stream().filter(h -> truth.contains(h.id())).count() / 10.0;
                }
                java.util.Arrays.sort(latencies);
                out[b] = new double[] {latencies[(int) (queries * 0.95)], latencies[queries / 2], recall / queries};
            }
            return out;
        }
    }

    /** A unit vector near the centre: each coordinate moved by Gaussian noise of the given spread. */
    private static float[] near(float[] centre, Random r, double spread) {
        float[] v = new float[centre.length];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (centre[i] + r.nextGaussian() * spread);
            norm += v[i] * v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }

    private static float[] unit(Random r, int dim) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
