package io.fineas.pipeline.rag;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.support.PipelineTestSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Records on a data topic (as processors publish them) through the real broker into the ingestion route, the
 * in-process MiniLM model and the embedded Lucene index; searched back over HTTP.
 */
class IngestionTest extends PipelineTestSupport {

    @Override
    protected String roles() {
        return "gateway,rag";
    }

    private static String record(String topic, String segment, String source, String content, String type) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("topic", topic);
        r.put("segment", segment);
        r.put("processor_id", "test");
        r.put("run_id", "run-1");
        r.put("parameters", Map.of("ticker", "ACME"));
        r.put("source", Map.of("kind", "http", "id", source));
        r.put("captured_at", "2026-11-25T10:00:00Z");
        r.put("content_type", type);
        r.put("content", content);
        return toJson(r);
    }

    private static String capturedIn(String generation, String topic, String segment, String source, String content) {
        Map<String, Object> r = new LinkedHashMap<>(parse(record(topic, segment, source, content, "text/plain")));
        r.put("generation", generation);
        return toJson(r);
    }

    private String generation(String topic, String segment) {
        return mongo().getDatabase(dataDatabase()).getCollection(topic)
                .find(com.mongodb.client.model.Filters.eq("_id", "segment:" + segment)).first().getString("generation");
    }

    /** What the vector store holds for a topic, asked directly (no filtering of deleted segments on the way). */
    private List<SearchHit> stored(String topic) {
        var model = context.getRegistry().lookupByNameAndType("embeddingModel",
                dev.langchain4j.model.embedding.EmbeddingModel.class);
        return context.getRegistry().lookupByNameAndType("vectorStore", VectorStore.class)
                .search(model.embed("note").content().vector(), 50, topic, null);
    }

    private List<Map<String, Object>> search(String query, String topic, String segment, int k) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("query", query);
        if (topic != null) {
            body.put("topic", topic);
        }
        if (segment != null) {
            body.put("segment", segment);
        }
        body.put("k", k);
        Response r = post("/search", body, "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return (List<Map<String, Object>>) r.json().get("results");
    }

    private List<Map<String, Object>> chunksOf(String topic, String source) {
        return search("anything", topic, null, 50).stream()
                .filter(h -> source.equals(((Map<?, ?>) h.get("metadata")).get("source"))).toList();
    }

    private static String longText(String subject, int paragraphs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < paragraphs; i++) {
            sb.append("Paragraph ").append(i).append(" about ").append(subject)
                    .append(": revenue grew while costs of components and logistics were stable across regions. ")
                    .append("Management expects demand to remain firm in the next two quarters, with inventory ")
                    .append("levels normal and pricing discipline intact.\n\n");
        }
        return sb.toString();
    }

    @Test
    void recordsBecomeSearchableChunksWithTheirMetadata() {
        String topic = uniqueName("rag");
        createTopic(topic);
        createSegment(topic, "news");
        createSegment(topic, "quotes");
        publish(dataTopic(topic), "a", record(topic, "news", "http://x/solar",
                "<html><body><h1>Solar</h1><p>Solar panel makers cut prices as polysilicon costs fell sharply.</p>"
                        + "</body></html>", "text/html"));
        publish(dataTopic(topic), "b", record(topic, "quotes", "http://x/quote",
                "{\"ticker\":\"ACME\",\"price\":101.5,\"currency\":\"USD\"}", "application/json"));
        publish(dataTopic(topic), "c", record(topic, "news", "http://x/bank",
                "The central bank kept interest rates unchanged and signalled patience.", "text/plain"));

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(search("interest rates", topic, null, 10)).hasSize(3));

        Map<String, Object> best = search("why did solar panel prices fall?", topic, null, 3).get(0);
        assertThat((String) best.get("text")).contains("polysilicon").doesNotContain("<p>");
        Map<String, Object> meta = (Map<String, Object>) best.get("metadata");
        assertThat(meta).containsEntry("topic", topic).containsEntry("segment", "news")
                .containsEntry("source", "http://x/solar").containsEntry("run_id", "run-1")
                .containsEntry("captured_at", "2026-11-25T10:00:00Z").containsEntry("chunk_index", 0)
                .containsKey("parameters");
        // JSON is reduced to "path: value" text, and the segment filter applies
        List<Map<String, Object>> quotes = search("price", topic, "quotes", 10);
        assertThat(quotes).hasSize(1);
        assertThat((String) quotes.get(0).get("text")).contains("price: 101.5");

        // by words (BM25): only the record that holds the ticker; by both: every record, that one first
        Response keyword = post("/search", Map.of("query", "ACME", "topic", topic, "k", 3, "retrieval", "keyword"),
                "X-API-Key", ADMIN_KEY);
        assertThat(keyword.json()).containsEntry("retrieval", "keyword");
        assertThat((List<Map<String, Object>>) keyword.json().get("results")).singleElement()
                .satisfies(h -> assertThat((Map<String, Object>) h.get("metadata"))
                        .containsEntry("source", "http://x/quote"));
        Response hybrid = post("/search", Map.of("query", "ACME price", "topic", topic, "k", 3, "retrieval",
                "hybrid"), "X-API-Key", ADMIN_KEY);
        List<Map<String, Object>> fused = (List<Map<String, Object>>) hybrid.json().get("results");
        assertThat(fused).hasSize(3);
        assertThat((Map<String, Object>) fused.get(0).get("metadata")).containsEntry("source", "http://x/quote");
        assertThat(post("/search", Map.of("query", "ACME", "topic", topic), "X-API-Key", ADMIN_KEY).json())
                .containsEntry("retrieval", "hybrid");
    }

    @Test
    void theSameRecordTwiceStoresNothingTwiceAndAShorterVersionRemovesStaleChunks() {
        String topic = uniqueName("idem");
        createTopic(topic);
        createSegment(topic, "reports");
        String source = "http://x/report";
        String first = record(topic, "reports", source, longText("ACME", 12), "text/plain");
        publish(dataTopic(topic), source, first);
        // a marker behind it on the same partition: once the marker is searchable the report is wholly stored
        publish(dataTopic(topic), "marker0", record(topic, "reports", "http://x/marker0", "First marker.",
                "text/plain"));
        await().atMost(Duration.ofSeconds(60)).until(() -> !chunksOf(topic, "http://x/marker0").isEmpty());
        int chunks = chunksOf(topic, source).size();
        assertThat(chunks).isGreaterThan(2);

        publish(dataTopic(topic), source, first);
        publish(dataTopic(topic), "marker", record(topic, "reports", "http://x/marker", "Marker note.", "text/plain"));
        await().atMost(Duration.ofSeconds(60)).until(() -> !chunksOf(topic, "http://x/marker").isEmpty());
        assertThat(chunksOf(topic, source)).hasSize(chunks);

        publish(dataTopic(topic), source, record(topic, "reports", source, "Short revision: ACME withdrew its outlook.",
                "text/plain"));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Map<String, Object>> now = chunksOf(topic, source);
            assertThat(now).hasSize(1);
            assertThat((String) now.get(0).get("text")).contains("withdrew");
        });
    }

    @Test
    void noSentenceIsEmbeddedTwiceByTheModelThatReadsIt() {
        String topic = uniqueName("cache");
        createTopic(topic);
        createSegment(topic, "s");
        publish(dataTopic(topic), "c", record(topic, "s", "http://x/cache", "Quillon Dynamics opened a plant in "
                + "Tampere this spring. The plant employs four hundred people. Its output goes to shipyards in the "
                + "Baltic region.", "text/plain"));
        await().atMost(Duration.ofSeconds(60)).until(() -> ((Number) get("/topics/" + topic
                + "/segments/s/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue() == 1
                && !chunksOf(topic, "http://x/cache").isEmpty());
        // chat reads a question and the context's sentences with its reader (e5-small-v2, loaded beside MiniLM, which
        // the analysis embedded the sentences with): the first question costs it the question and the sentences
        Response answer = post("/chat", Map.of("question", "Where did Quillon Dynamics open a plant?", "topic", topic),
                "X-API-Key", ADMIN_KEY);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        assertThat((String) answer.json().get("answer")).contains("Tampere");
        double computed = embeddings("reader", "model");
        double cached = embeddings("reader", "cache");

        Response again = post("/chat", Map.of("question", "How many people does the Quillon Dynamics plant employ?",
                "topic", topic), "X-API-Key", ADMIN_KEY);

        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat((String) again.json().get("answer")).contains("four hundred");
        // a second question over the same passage is the reader's only new work: the sentences come from its cache
        assertThat(embeddings("reader", "model") - computed).isEqualTo(1);
        assertThat(embeddings("reader", "cache") - cached).isGreaterThanOrEqualTo(3);
    }

    /** pipeline_embeddings_total for one use and origin, as the management port exports it. */
    private double embeddings(String use, String from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("pipeline_embeddings_total\\{(?=[^}]*from=\""
                + from + "\")(?=[^}]*use=\"" + use + "\")[^}]*} ([0-9.E]+)").matcher(metrics());
        assertThat(m.find()).as("pipeline_embeddings_total{use=%s, from=%s}", use, from).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    void deletingATopicOrSegmentDeletesItsVectors() {
        String topic = uniqueName("gone");
        createTopic(topic);
        createSegment(topic, "keep");
        createSegment(topic, "drop");
        publish(dataTopic(topic), "k", record(topic, "keep", "http://x/keep", "Kept note on shipping.", "text/plain"));
        publish(dataTopic(topic), "d", record(topic, "drop", "http://x/drop", "Dropped note on mining.", "text/plain"));
        await().atMost(Duration.ofSeconds(60)).until(() -> search("note", topic, null, 10).size() == 2);

        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "drop",
                "segment_action", "delete")).status()).isEqualTo(200);
        assertThat(search("note", topic, null, 10)).hasSize(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> stored(topic).size() == 1);

        assertThat(post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "delete")).status())
                .isEqualTo(200);
        assertThat(search("note", topic, null, 10)).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> stored(topic).isEmpty());
    }

    @Test
    void recordsStillInFlightForADeletedOrRecreatedSegmentNeverComeBack() {
        String topic = uniqueName("gen");
        createTopic(topic);
        createSegment(topic, "s");
        createSegment(topic, "gone");
        String first = generation(topic, "s");
        String gone = generation(topic, "gone");
        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "s",
                "segment_action", "delete")).status()).isEqualTo(200);
        assertThat(post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "gone",
                "segment_action", "delete")).status()).isEqualTo(200);
        createSegment(topic, "s");
        String second = generation(topic, "s");
        assertThat(second).isNotEqualTo(first);

        // captured before the deletes, arriving after them; then one of the new generation
        publish(dataTopic(topic), "old", capturedIn(first, topic, "s", "http://x/old", "Old note on copper."));
        publish(dataTopic(topic), "gone", capturedIn(gone, topic, "gone", "http://x/gone", "Gone note on zinc."));
        publish(dataTopic(topic), "new", capturedIn(second, topic, "s", "http://x/new", "New note on nickel."));

        await().atMost(Duration.ofSeconds(60)).until(() -> !chunksOf(topic, "http://x/new").isEmpty());
        await().atMost(Duration.ofSeconds(60)).until(() -> ((Number) get("/topics/" + topic
                + "/segments/s/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue() == 1);
        assertThat(stored(topic)).extracting(h -> h.metadata().get("source")).containsExactly("http://x/new");
        assertThat((List<Map<String, Object>>) get("/topics/" + topic + "/segments/s/inferences", "X-API-Key",
                ADMIN_KEY).json().get("inferences")).extracting(i -> i.get("source")).containsExactly("http://x/new");
        assertThat(metrics()).containsPattern("pipeline_records_stale_total\\{[^}]*stage=\"ingest\"[^}]*} [2-9]");
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicAndTheStreamContinues() {
        String topic = uniqueName("poison");
        createTopic(topic);
        createSegment(topic, "s");
        publish(dataTopic(topic), "p1", "not json at all");
        publish(dataTopic(topic), "p2", "{\"topic\": \"" + topic + "\", \"content\": 42}");
        publish(dataTopic(topic), "p3", record(topic, "s", "http://x/empty", "   ", "text/plain"));
        publish(dataTopic(topic), "ok", record(topic, "s", "http://x/fine", "A fine record about tariffs.",
                "text/plain"));

        await().atMost(Duration.ofSeconds(60)).until(() -> search("tariffs", topic, null, 5).size() == 1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<ConsumerRecord<String, String>> dead = readAll("ingest-" + ids().suffix() + ".dlq",
                    Duration.ofMillis(300));
            assertThat(dead).extracting(ConsumerRecord::value).contains("not json at all");
            assertThat(dead).hasSize(3);
            assertThat(dead).allSatisfy(r -> assertThat(r.headers().lastHeader("dlq-reason")).isNotNull());
            assertThat(dead).anySatisfy(r -> assertThat(new String(r.headers().lastHeader("dlq-reason").value()))
                    .contains("no text"));
        });
    }

    @Test
    void searchRefusesBadRequests() {
        assertThat(post("/search", Map.of("query", ""), "X-API-Key", ADMIN_KEY).status()).isEqualTo(400);
        assertThat(post("/search", Map.of("query", "x", "k", 500), "X-API-Key", ADMIN_KEY).status()).isEqualTo(400);
        assertThat(post("/search", Map.of("query", "x", "topic", "Bad.Topic"), "X-API-Key", ADMIN_KEY).status())
                .isEqualTo(400);
        assertThat(post("/search", Map.of("query", "x")).status()).isEqualTo(401);
        assertThat(post("/search", Map.of("query", "x", "retrieval", "semantic"), "X-API-Key", ADMIN_KEY).status())
                .isEqualTo(400);
    }
}
