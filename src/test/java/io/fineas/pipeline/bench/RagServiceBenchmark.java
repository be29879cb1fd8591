package io.fineas.pipeline.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.sun.net.httpserver.HttpServer;

import dev.langchain4j.data.document.DocumentSplitter;
import dev.langchain4j.data.document.splitter.DocumentSplitters;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.fineas.pipeline.rag.RecordText;
import io.fineas.pipeline.rag.Chunk;
import io.fineas.pipeline.rag.LocalEmbeddings;
import io.fineas.pipeline.rag.LuceneVectorStore;
import io.fineas.pipeline.rag.llm.ExtractiveChatModel;
import io.fineas.pipeline.rag.llm.Prompts;
import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The RAG service as it ships (ingestion and the extractive analysis in one process, one embedding model), against
 * the model's work alone on the same records in the same run; then each of the two alone; then freshness under a
 * steady load captured through a processor (an RSS stand-in answering each poll with new entries).
 * Run with: mvn -B verify -Pbench -Dbench=RagServiceBenchmark (-Dbench.records=N, -Dbench.rate=R, -Dbench.seconds=S,
 * -Dbench.modes=shipped,ingestion,analysis)
 */
class RagServiceBenchmark extends PipelineTestSupport {

    private static final int RECORDS = Integer.getInteger("bench.records", 600);
    private static final int RATE = Integer.getInteger("bench.rate", 10);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 60);
    /** Seconds of load on the new topic before freshness is measured (the new topic's start is reported apart). */
    private static final int WARMUP_SECONDS = Integer.getInteger("bench.warmup-seconds", 10);
    private static final String[] COMPANIES = {"Aldervane Robotics", "Brisklow Foods", "Corvantis Energy",
        "Dunmere Logistics", "Elsworth Pharma", "Fenwick Semiconductors", "Galloway Mining", "Harrowgate Retail",
        "Ivybridge Telecom", "Jessamine Cosmetics", "Kestrel Aerospace", "Lindqvist Shipping"};
    private static final String[] EVENTS = {"raised its full-year revenue outlook", "named a new chief executive",
        "opened a second factory", "cut its dividend", "won a government contract", "recalled a product line",
        "agreed to buy a smaller rival", "reported a quarterly loss", "signed a supply deal", "delayed a launch"};
    private static final String[] DETAILS = {"Analysts had expected a weaker quarter after freight costs rose.",
        "The shares moved sharply in early trading on the news.",
        "Management said demand in Europe held up better than in Asia.",
        "The board will vote on the plan at the annual meeting in spring.",
        "Union leaders said they were not consulted before the announcement.",
        "It is the company's third such move in two years.",
        "Suppliers warned that lead times for components remain long.",
        "A spokesperson declined to give figures for the coming year."};

    private HttpServer feed;
    private Path folder;
    private final AtomicInteger served = new AtomicInteger();

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    @Override
    protected void overrideProperties(Properties p) {
        p.put("pipeline.processors.dir", folder().toString());
    }

    /** The reports' suffix: "" as shipped (traced), "-untraced" for RagServiceUntracedBenchmark. */
    protected String reportSuffix() {
        return "";
    }

    private String liveTopic() {
        return "live" + ids().suffix().toLowerCase().replaceAll("[^a-z0-9]", "");
    }

    /** The processor folder: one RSS source whose every poll answers {@code RATE} new entries. */
    private Path folder() {
        if (folder == null) {
            try {
                feed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
                feed.createContext("/feed/", exchange -> {
                    byte[] body = rss(RATE).getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Content-Type", "application/rss+xml");
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                    exchange.close();
                });
                feed.start();
                folder = Files.createTempDirectory("bench-rag");
                Files.writeString(folder.resolve("live.data.json"), "[{\"feed\": \"live\"}]");
                Files.writeString(folder.resolve("live.yaml"), "topic: " + liveTopic() + "\nsegment: news\n"
                        + "data_list: live.data.json\nsource:\n  kind: rss\n  url: \"http://127.0.0.1:"
                        + feed.getAddress().getPort() + "/feed/{feed}\"\n  allow_private_network: true\n");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return folder;
    }

    @AfterAll
    void stopFeed() {
        if (feed != null) {
            feed.stop(0);
        }
    }

    private record Item(String title, String text) {
    }

    /** Fictional news items: a heading and three to five sentences, one chunk each. */
    private static List<Item> items(long seed, int n) {
        Random r = new Random(seed);
        List<Item> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String company = COMPANIES[r.nextInt(COMPANIES.length)];
            String event = EVENTS[r.nextInt(EVENTS.length)];
            StringBuilder text = new StringBuilder(String.format("%s %s on %s, item %d of series %d.", company, event,
                    List.of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday").get(r.nextInt(5)), i, seed));
            // every sentence of the corpus its own (no sentence twice, so no vector is reused between records)
            int details = 2 + r.nextInt(3);
            for (int d = 0; d < details; d++) {
                String detail = DETAILS[r.nextInt(DETAILS.length)];
                text.append(' ').append(detail, 0, detail.length() - 1).append(String.format(", according to note %d-%d "
                        + "of %s.", seed, i * 10 + d, COMPANIES[r.nextInt(COMPANIES.length)]));
            }
            text.append(String.format(" The figure quoted was %d million for unit %d.", 10 + r.nextInt(900), i));
            out.add(new Item(company + " " + event, text.toString()));
        }
        return out;
    }

    private String rss(int entries) {
        StringBuilder sb = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
                + "<title>Live</title><link>http://news.example/</link><description>live</description>");
        int first = served.getAndAdd(entries);
        List<Item> items = items(1_000_000L + first, entries);
        for (int i = 0; i < entries; i++) {
            sb.append("<item><title>").append(items.get(i).title()).append("</title><link>http://news.example/item-")
                    .append(first + i).append("</link><guid>http://news.example/item-").append(first + i)
                    .append("</guid><description>").append(items.get(i).text()).append("</description></item>");
        }
        return sb.append("</channel></rss>").toString();
    }

    private List<String> records(String topic, List<Item> items) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("topic", topic);
            r.put("segment", "news");
            r.put("source", Map.of("kind", "bench", "id", "item-" + i));
            r.put("captured_at", Instant.now().toString());
            r.put("title", items.get(i).title());
            r.put("content_type", "text/plain");
            r.put("content", items.get(i).text());
            out.add(toJson(r));
        }
        return out;
    }

    /** The model's own work on these records, alone: their chunks embedded, then each record's analysis. */
    private record ModelWork(int chunks, double embedSeconds, double analysisSeconds, long embedCalls,
            long analysisCalls, double embedBusy, double analysisBusy) {
    }

    private ModelWork modelWorkAlone(String topic, List<String> records) throws Exception {
        DocumentSplitter splitter = DocumentSplitters.recursive(800, 80);
        Prompts prompts = new Prompts(Path.of("prompts"), 4000);
        List<TextSegment> chunks = new ArrayList<>();
        List<ChatRequest> analyses = new ArrayList<>();
        for (String raw : records) {
            RecordText record = RecordText.parse(raw);
            chunks.addAll(splitter.split(dev.langchain4j.data.document.Document.from(record.text())));
            analyses.add(ChatRequest.builder().messages(prompts.analysis(topic, "news", record.record().sourceId(),
                    record.record().title(), record.text()).messages()).build());
        }
        // the same model, sized as the service's, without its cache: every text is the model's work
        try (LocalEmbeddings alone = new LocalEmbeddings("all-minilm-l6-v2", 0, 1, 0)) {
            alone.model(LocalEmbeddings.Use.INGESTION).embedAll(chunks.subList(0, 16));
            long warm = alone.computed(LocalEmbeddings.Use.INGESTION);
            long t0 = System.nanoTime();
            alone.model(LocalEmbeddings.Use.INGESTION).embedAll(chunks);
            double embed = (System.nanoTime() - t0) / 1e9;
            double embedBusy = alone.busySeconds();
            // the analyses as fast as the model takes them: one caller per core, each record's sentences at once
            ExtractiveChatModel analysis = new ExtractiveChatModel(alone.model(LocalEmbeddings.Use.ANALYSIS), 3);
            int callers = Runtime.getRuntime().availableProcessors();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
            t0 = System.nanoTime();
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (ChatRequest request : analyses) {
                    done.add(pool.submit(() -> analysis.chat(request)));
                }
                for (var f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            double analyse = (System.nanoTime() - t0) / 1e9;
            return new ModelWork(chunks.size(), embed, analyse, alone.computed(LocalEmbeddings.Use.INGESTION) - warm,
                    alone.computed(LocalEmbeddings.Use.ANALYSIS), embedBusy, alone.busySeconds() - embedBusy);
        }
    }

    private LocalEmbeddings embeddings() {
        return context.getRegistry().lookupByNameAndType("localEmbeddings", LocalEmbeddings.class);
    }

    private LuceneVectorStore store() {
        return context.getRegistry().lookupByNameAndType("vectorStore", LuceneVectorStore.class);
    }

    private long inferences(String topic) {
        return mongo().getDatabase(dataDatabase()).getCollection(topic).countDocuments(Filters.eq("kind", "inference"));
    }

    /** Both consumer groups of the RAG service have read every data topic still there to its end. */
    private boolean drained() throws Exception {
        Set<String> topics = kafkaTopics();
        for (String group : List.of("rag-ingest", "llm-analysis")) {
            Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>(admin().listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get());
            committed.keySet().removeIf(tp -> !topics.contains(tp.topic()));
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            var ends = admin().listOffsets(latest).all().get();
            for (var e : committed.entrySet()) {
                if (e.getValue() == null || e.getValue().offset() < ends.get(e.getKey()).offset()) {
                    return false;
                }
            }
        }
        return true;
    }

    private record Run(double allSearchableSeconds, double allDoneSeconds, long embedCalls, long analysisCalls,
            double busySeconds) {
    }

    /** Publishes the records as a processor would and waits until each is searchable and/or analysed. */
    private Run run(String topic, List<String> records, boolean ingest, boolean analyse) throws Exception {
        LocalEmbeddings e = embeddings();
        if (!ingest) {
            context.getRouteController().stopRoute("rag-vector-ingest");
        }
        if (!analyse) {
            context.getRouteController().stopRoute("rag-analysis");
        }
        // a first record makes the consumers find the new data topic (its discovery is not the figure)
        Map<String, Object> first = parse(records.get(0));
        first.put("source", Map.of("kind", "bench", "id", "warm-up"));
        publish(dataTopic(topic), "warm-up", toJson(first));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() ->
                (!ingest || !store().fingerprints(topic, List.of(Chunk.id(topic, "news", "warm-up", 0))).isEmpty())
                        && (!analyse || inferences(topic) >= 1));
        long ingestCalls = e.computed(LocalEmbeddings.Use.INGESTION);
        long analysisCalls = e.computed(LocalEmbeddings.Use.ANALYSIS);
        double busy = e.busySeconds();
        // the index holds this topic's first record and others' only: counting its documents is what costs least
        // to watch (looking the chunks up by id, as often, takes a core from the service being measured)
        int indexed = store().count();
        long t0 = System.nanoTime();
        double[] searchableAt = {ingest ? -1 : 0};
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(producerProperties(),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            for (String r : records) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(dataTopic(topic), r));
            }
            producer.flush();
        }
        await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (searchableAt[0] < 0 && store().count() >= indexed + records.size()) {
                searchableAt[0] = (System.nanoTime() - t0) / 1e9;
            }
            return searchableAt[0] >= 0 && (!analyse || inferences(topic) >= records.size() + 1);
        });
        double done = (System.nanoTime() - t0) / 1e9;
        Run run = new Run(searchableAt[0], done, e.computed(LocalEmbeddings.Use.INGESTION) - ingestCalls,
                e.computed(LocalEmbeddings.Use.ANALYSIS) - analysisCalls, e.busySeconds() - busy);
        // the stopped route catches up on nothing: the topic goes, its records are stale when read
        assertThat(post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "delete")).status())
                .isEqualTo(200);
        context.getRouteController().startRoute("rag-vector-ingest");
        context.getRouteController().startRoute("rag-analysis");
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(this::drained);
        return run;
    }

    private Properties producerProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", io.fineas.pipeline.support.PipelineInfrastructure.bootstrapServers());
        p.put("linger.ms", "5");
        return p;
    }

    private String topicFor(String mode) {
        String topic = mode + ids().suffix().toLowerCase().replaceAll("[^a-z0-9]", "");
        createTopic(topic);
        createSegment(topic, "news");
        return topic;
    }

    @Test
    void theServiceAsShippedAgainstTheModelWorkAlone() throws Exception {
        StringBuilder report = new StringBuilder(String.format("records: %d fictional news items (a heading and 4 to "
                + "6 sentences, one chunk each, no sentence twice); the model work alone is measured on each set's own records, in the "
                + "same run, with the service's model sizing and no cache%n%n", RECORDS));
        report.append("| run | records/s | chunks/s | model work alone, records/s | ratio | all searchable after s "
                + "| model calls per record (service / alone) | model busy s (service / alone) |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        String[] modes = System.getProperty("bench.modes", "shipped,ingestion,analysis").split(",");
        Map<String, Double> gate = new java.util.LinkedHashMap<>();
        long seed = 1;
        for (String mode : modes) {
            String topic = topicFor(mode);
            List<String> records = records(topic, items(seed++, RECORDS));
            ModelWork alone = modelWorkAlone(topic, records);
            boolean ingest = !mode.equals("analysis");
            boolean analyse = !mode.equals("ingestion");
            Run run = run(topic, records, ingest, analyse);
            double aloneSeconds = (ingest ? alone.embedSeconds() : 0) + (analyse ? alone.analysisSeconds() : 0);
            long aloneCalls = (ingest ? alone.embedCalls() : 0) + (analyse ? alone.analysisCalls() : 0);
            double perSecond = RECORDS / run.allDoneSeconds();
            double alonePerSecond = RECORDS / aloneSeconds;
            double aloneBusy = (ingest ? alone.embedBusy() : 0) + (analyse ? alone.analysisBusy() : 0);
            report.append(String.format("| %s | %.1f | %s | %.1f | **%.2f** | %s | %.2f / %.2f | %.1f / %.1f |%n",
                    switch (mode) {
                        case "shipped" -> "RAG role as shipped: ingestion + analysis";
                        case "ingestion" -> "ingestion alone (against embedAll of the chunks)";
                        default -> "analysis alone (against the extractive model's calls)";
                    }, perSecond, ingest ? String.format("%.1f", alone.chunks() / run.allDoneSeconds()) : "-",
                    alonePerSecond, perSecond / alonePerSecond,
                    ingest ? String.format("%.2f", run.allSearchableSeconds()) : "-",
                    (run.embedCalls() + run.analysisCalls()) / (double) RECORDS, aloneCalls / (double) RECORDS,
                    run.busySeconds(), aloneBusy));
            if (mode.equals("shipped")) {
                gate.put("rag-service" + reportSuffix() + ".shipped_ratio", perSecond / alonePerSecond);
            }
        }
        System.out.println(report);
        CollectBenchmark.write("rag-service" + reportSuffix(), report.toString());
        gate.forEach(BenchmarkGate::atLeast);
    }

    @Test
    void freshnessUnderASteadyLoadCapturedThroughAProcessor() throws Exception {
        String topic = liveTopic();
        createTopic(topic);
        createSegment(topic, "news");
        Map<String, Long> searchableAt = new ConcurrentHashMap<>();
        // the start of a new topic, reported apart: its data topic is found by the ingestion consumer's pattern
        // subscription at its next metadata refresh (metadataMaxAgeMs), then the group rebalances; and the JVM warms
        // up. The steady state is measured after WARMUP_SECONDS of the same load.
        long firstCollect = System.nanoTime();
        load(topic, WARMUP_SECONDS, searchableAt);
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
            poll(topic, searchableAt);
            return searchableAt.size() >= served.get();
        });
        long firstSearchableMs = Collections.min(searchableAt.values()) - (System.currentTimeMillis()
                - (System.nanoTime() - firstCollect) / 1_000_000);
        int measuredFrom = served.get();
        load(topic, SECONDS, searchableAt);
        int expected = RATE * SECONDS;
        await().atMost(Duration.ofMinutes(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            poll(topic, searchableAt);
            return searchableAt.size() >= measuredFrom + expected && inferences(topic) >= measuredFrom + expected;
        });
        // the capture time of each record, as its processor stamped it, and when its analysis was made (both carried
        // into its inference)
        Map<String, Long> capturedAt = new HashMap<>();
        Map<String, Long> analysedAt = new HashMap<>();
        for (Document d : mongo().getDatabase(dataDatabase()).getCollection(topic).find(Filters.eq("kind", "inference"))
                .projection(Projections.include("source", "captured_at", "created_at"))) {
            String source = d.getString("source");
            if (Integer.parseInt(source.substring(source.lastIndexOf('-') + 1)) >= measuredFrom) {
                capturedAt.put(source, Instant.parse(d.getString("captured_at")).toEpochMilli());
                analysedAt.put(source, Instant.parse(d.getString("created_at")).toEpochMilli());
            }
        }
        List<Long> toSearchable = new ArrayList<>();
        List<Long> toAnalysed = new ArrayList<>();
        capturedAt.forEach((source, at) -> {
            toSearchable.add(searchableAt.get(source) - at);
            toAnalysed.add(analysedAt.get(source) - at);
        });
        // when the slow ones were captured: the slowest record of each second of the run
        long first = Collections.min(capturedAt.values());
        Map<Long, Long> slowestBySecond = new java.util.TreeMap<>();
        capturedAt.forEach((source, at) -> slowestBySecond.merge((at - first) / 1000, searchableAt.get(source) - at,
                Math::max));
        System.out.println("slowest to searchable by second of capture: " + slowestBySecond);
        Collections.sort(toSearchable);
        Collections.sort(toAnalysed);
        String report = String.format("%d records captured at %d per second for %d s through an RSS processor "
                + "(one POST /collect per second, each poll of the stand-in feed answering %d new entries), the RAG "
                + "role ingesting and analysing, after %d s of the same load on the new topic; time from the record's "
                + "captured_at to its first chunk found in the index (looked up every 50 ms), and to its inference's "
                + "created_at%n%n"
                + "| from capture to | p50 ms | p95 ms | max ms |%n|---|---|---|---|%n"
                + "| searchable | %d | %d | %d |%n| analysed | %d | %d | %d |%n%n"
                + "a new topic: its first record searchable %d ms after the first POST /collect%n",
                capturedAt.size(), RATE, SECONDS, RATE, WARMUP_SECONDS, pct(toSearchable, 50), pct(toSearchable, 95),
                toSearchable.get(toSearchable.size() - 1), pct(toAnalysed, 50), pct(toAnalysed, 95),
                toAnalysed.get(toAnalysed.size() - 1), firstSearchableMs);
        System.out.println(report);
        CollectBenchmark.write("freshness" + reportSuffix(), report);
        assertThat(capturedAt).hasSize(expected);
        BenchmarkGate.atMost("freshness" + reportSuffix() + ".searchable_p95_ms", pct(toSearchable, 95));
    }

    /** One POST /collect a second for this many seconds, looking up what became searchable meanwhile. */
    private void load(String topic, int seconds, Map<String, Long> searchableAt) throws InterruptedException {
        long next = System.nanoTime();
        int collects = 0;
        while (collects < seconds) {
            if (System.nanoTime() >= next) {
                Response r = post("/collect", List.of(Map.of("topic", topic, "segment_targets", List.of("news"))),
                        "X-API-Key", ADMIN_KEY);
                assertThat(r.status()).isEqualTo(202);
                collects++;
                next += 1_000_000_000L;
            }
            poll(topic, searchableAt);
            Thread.sleep(50);
        }
    }

    /** Looks up the chunks of the entries served and not yet seen in the index. */
    private void poll(String topic, Map<String, Long> searchableAt) {
        long now = System.currentTimeMillis();
        List<String> ids = new ArrayList<>();
        Map<String, String> sourceOf = new HashMap<>();
        for (int i = served.get() - 1; i >= 0; i--) {
            String source = "http://news.example/item-" + i;
            if (!searchableAt.containsKey(source)) {
                String id = Chunk.id(topic, "news", source, 0);
                ids.add(id);
                sourceOf.put(id, source);
            }
        }
        if (!ids.isEmpty()) {
            store().fingerprints(topic, ids).keySet().forEach(id -> searchableAt.putIfAbsent(sourceOf.get(id), now));
        }
    }

    private static long pct(List<Long> sorted, int p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
    }
}
