package io.fineas.pipeline.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.stream.Stream;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import io.fineas.pipeline.rag.Chunk;
import io.fineas.pipeline.rag.LocalEmbeddings;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.rag.SearchHit;
import org.apache.lucene.util.VectorUtil;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded index at scale: 1,000,000 chunks (bench.scale-size) in each vector format (bench.scale-formats:
 * float,int7), written through the store as the ingestion writes it (batches of 5,000, each committed), then 200
 * searches (top 10, the default 100 candidates, after 20 warm-up ones) measured for latency and for recall@10 against
 * exact search over the same vectors in the same run, with the index size on disk, its segments, the build time and the
 * heap in use once the searches ran (after a full GC; Lucene reads the vectors and graph through memory-mapped
 * files, outside the heap).
 *
 * <p>The vectors: real all-MiniLM-L6-v2 embeddings of 20,000 generated sentences (bench.scale-base), and each chunk a
 * normalised blend of two of them plus noise (b = a + 0.5 x second + N(0, 0.02) per dimension), so that the million
 * vectors keep the crowded, anisotropic shape of sentence embeddings (a corpus of a million distinct sentences cannot
 * be embedded on the reference machine in a benchmark's time). The queries are drawn the same way.
 *
 * <p>Run with: mvn -B verify -Pbench -Dbench=ScaleBenchmark (about an hour on two cores at 1,000,000).
 */
class ScaleBenchmark {

    private static final int SIZE = Integer.getInteger("bench.scale-size", 1_000_000);
    private static final int BASE = Integer.getInteger("bench.scale-base", 20_000);
    private static final int QUERIES = 220;
    private static final int WARM_UP = 20;
    private static final int K = 10;
    private static final int BATCH = 5000;
    private static final String[] WORDS = ("revenue margin supply chain shipment demand forecast inventory tariff "
            + "semiconductor cloud retail consumer pricing guidance capital expenditure dividend growth quarter "
            + "analyst outlook logistics factory energy power data centre accelerator memory storage network hiring "
            + "plant merger lawsuit recall launch contract subsidy strike rating debt buyback").split(" ");
    private static final String[] COMPANIES = {"Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell",
        "Cyberdyne", "Soylent", "Hooli", "Vandelay", "Wonka", "Oscorp", "Aperture", "Massive Dynamic", "Pied Piper"};

    @Test
    void oneMillionChunksInEachVectorFormat() throws Exception {
        float[][] base = baseEmbeddings();
        List<String> formats = List.of(System.getProperty("bench.scale-formats", "float,int7").split(","));
        StringBuilder report = new StringBuilder(String.format("| vectors | chunks | build min | merged min | index MB on disk "
                + "| segments | heap MB after GC | search p50 ms | search p95 ms | recall@10 vs exact |%n"
                + "|---|---|---|---|---|---|---|---|---|---|%n"));
        float[][] queries = new float[QUERIES][];
        Random qr = new Random(99);
        for (int q = 0; q < QUERIES; q++) {
            queries[q] = blend(base, qr);
        }
        // exact top 10 per query, over the same vectors the index holds (computed once, while the first index is built)
        List<PriorityQueue<double[]>> exact = new ArrayList<>();
        for (int q = 0; q < QUERIES; q++) {
            exact.add(new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0])));
        }
        boolean exactDone = false;
        for (String name : formats) {
            LuceneVectorStore.VectorFormat format = LuceneVectorStore.VectorFormat.parse(name);
            Path dir = Files.createTempDirectory("bench-scale-" + name);
            long t0 = System.nanoTime();
            try (LuceneVectorStore store = new LuceneVectorStore(dir, 100, format)) {
                Random r = new Random(7);
                for (int from = 0; from < SIZE; from += BATCH) {
                    List<Chunk> chunks = new ArrayList<>(BATCH);
                    List<float[]> vectors = new ArrayList<>(BATCH);
                    for (int i = from; i < Math.min(SIZE, from + BATCH); i++) {
                        float[] v = blend(base, r);
                        chunks.add(new Chunk("v" + i, "t", "s", "src" + i, 0, "", Map.of()));
                        vectors.add(v);
                        if (!exactDone) {
                            for (int q = 0; q < QUERIES; q++) {
                                PriorityQueue<double[]> top = exact.get(q);
                                double score = VectorUtil.dotProduct(queries[q], v);
                                if (top.size() < K) {
                                    top.add(new double[] {score, i});
                                } else if (score > top.peek()[0]) {
                                    top.poll();
                                    top.add(new double[] {score, i});
                                }
                            }
                        }
                    }
                    store.upsert(chunks, vectors);
                    if ((from / BATCH) % 20 == 0) {
                        System.out.printf("%s: %d chunks in %.1f min%n", name, from + BATCH,
                                (System.nanoTime() - t0) / 6e10);
                    }
                }
                exactDone = true;
                double buildMinutes = (System.nanoTime() - t0) / 6e10;
                // searched once the merges the writes started are done, as an index is most of its life
                store.settle();
                double settledMinutes = (System.nanoTime() - t0) / 6e10;
                double[] ms = new double[QUERIES - WARM_UP];
                double recall = 0;
                for (int q = 0; q < QUERIES; q++) {
                    long s0 = System.nanoTime();
                    List<SearchHit> hits = store.search(queries[q], K, null, null);
                    long s1 = System.nanoTime();
                    if (q >= WARM_UP) {
                        ms[q - WARM_UP] = (s1 - s0) / 1e6;
                        java.util.Set<String> truth = new java.util.HashSet<>();
                        exact.get(q).forEach(e -> truth.add("v" + (int) e[1]));
                        recall += hits.stream().filter(h -> truth.contains(h.id())).count() / (double) K;
                    }
                }
                recall /= QUERIES - WARM_UP;
                Arrays.sort(ms);
                for (int i = 0; i < 3; i++) {
                    System.gc();
                }
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                long bytes;
                int segments;
                try (Stream<Path> files = Files.list(dir)) {
                    List<Path> all = files.toList();
                    bytes = all.stream().mapToLong(p -> p.toFile().length()).sum();
                    segments = (int) all.stream().filter(p -> p.getFileName().toString().endsWith(".si")).count();
                }
                report.append(String.format("| %s | %d | %.1f | %.1f | %.0f | %d | %.0f | %.2f | %.2f | %.3f |%n", name,
                        SIZE, buildMinutes, settledMinutes, bytes / 1e6, segments, heap / 1e6, ms[ms.length / 2],
                        ms[(int) (ms.length * 0.95)], recall));
                System.out.println(report);
                CollectBenchmark.write("scale", report.toString());
                assertThat(recall).isPositive();
            } finally {
                try (Stream<Path> files = Files.list(dir)) {
                    files.forEach(p -> p.toFile().delete());
                }
                dir.toFile().delete();
            }
        }
    }

    /** Real MiniLM embeddings of generated one-sentence chunks: a company, a verb and 6 to 14 business words. */
    private static float[][] baseEmbeddings() throws Exception {
        try (LocalEmbeddings embeddings = new LocalEmbeddings("all-minilm-l6-v2", 0, 1, 0)) {
            EmbeddingModel model = embeddings.model(LocalEmbeddings.Use.INGESTION);
            Random r = new Random(11);
            float[][] out = new float[BASE][];
            List<TextSegment> batch = new ArrayList<>();
            int done = 0;
            for (int i = 0; i < BASE; i++) {
                StringBuilder sb = new StringBuilder(COMPANIES[r.nextInt(COMPANIES.length)]).append(" reports");
                for (int w = 6 + r.nextInt(9); w > 0; w--) {
                    sb.append(' ').append(WORDS[r.nextInt(WORDS.length)]);
                }
                batch.add(TextSegment.from(sb.append('.').toString()));
                if (batch.size() == 256 || i == BASE - 1) {
                    for (Embedding e : model.embedAll(batch).content()) {
                        out[done++] = e.vector();
                    }
                    batch.clear();
                }
            }
            return out;
        }
    }

    /** A normalised blend of two base embeddings plus a little noise. */
    private static float[] blend(float[][] base, Random r) {
        float[] a = base[r.nextInt(base.length)];
        float[] b = base[r.nextInt(base.length)];
        float[] v = new float[a.length];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (a[i] + 0.5 * b[i] + r.nextGaussian() * 0.02);
            norm += v[i] * v[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < v.length; i++) {
            v[i] *= scale;
        }
        return v;
    }
}
