package io.fineas.pipeline.observe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.SourceServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One trace per record across the stages, in one process (the embedded default): POST /collect, the processor's run,
 * each capture, the data record's ingestion, its analysis (the model call) and the stored inference share the trace
 * id the run records; GET /traces/{id} shows it with stable attributes and without the source's key or its content.
 */
class TracingTest extends PipelineTestSupport {

    private static final String SECRET = "url-secret-5d1c";
    private SourceServer source;
    private String topic;

    @Override
    protected String roles() {
        return "gateway,processors,rag";
    }

    private SourceServer source() {
        if (source == null) {
            source = new SourceServer();
            source.document("tide.txt", "CONTENT-7731 says the tide gauge at pier 4 read 3.2 metres on Monday.");
            source.document("crane.txt", "CONTENT-7732 says crane 9 lifted forty containers before noon.");
        }
        return source;
    }

    private String topic() {
        if (topic == null) {
            topic = "traced-" + ids().suffix();
        }
        return topic;
    }

    @Override
    protected void overrideProperties(Properties p) {
        try {
            Path processors = Files.createDirectories(dataDir().resolve("traced-processors"));
            Files.writeString(processors.resolve("harbour.yaml"), "topic: " + topic() + "\nsegment: harbour\n"
                    + "data_list: harbour.data.json\nsource:\n  kind: http\n  url: \"" + source().baseUrl()
                    + "/doc/{name}?apikey=" + SECRET + "\"\n  allow_private_network: true\n");
            Files.writeString(processors.resolve("harbour.data.json"),
                    "[{\"name\": \"tide.txt\"}, {\"name\": \"crane.txt\"}]");
            p.put("pipeline.processors.dir", processors.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    void stopSource() {
        source.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aRunIsOneTraceFromCollectToTheStoredInference() {
        createTopic(topic());
        createSegment(topic(), "harbour");
        String runId = collectRun(topic(), "harbour");
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> assertThat(((Number) get("/topics/" + topic()
                + "/segments/harbour/inferences", "X-API-Key", ADMIN_KEY).json().get("total")).intValue())
                .isEqualTo(2));

        Map<String, Object> run = get("/runs/" + runId, "X-API-Key", ADMIN_KEY).json();
        String traceId = (String) run.get("trace_id");
        assertThat(traceId).as("the run's trace id, in %s", run).matches("[0-9a-f]{32}");

        // the records' last spans end when their batch is stored, ingested: wait until all are there
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<Map<String, Object>> all = spans(traceId);
            for (String stage : List.of("rag-store-inference record", "rag-vector-ingest record")) {
                assertThat(all.stream().filter(s -> s.get("name").equals(stage))).as(stage).hasSize(2);
            }
        });
        List<Map<String, Object>> spans = spans(traceId);
        Set<String> names = spans.stream().map(s -> (String) s.get("name")).collect(Collectors.toSet());
        assertThat(names).contains("rag-vector-ingest record", "rag-analysis record", "rag-store-inference record");

        // the processor's span of the alert says which run it was
        assertThat(spans).anySatisfy(s -> assertThat((Map<String, Object>) s.get("attributes"))
                .containsEntry("pipeline.stage", "processor").containsEntry("pipeline.run_id", runId)
                .containsEntry("pipeline.processor_id", "harbour").containsEntry("pipeline.topic", topic())
                .containsEntry("pipeline.segment", "harbour"));
        // each capture's HTTP call, each data record published, each record ingested and analysed: two of each
        assertThat(spans.stream().filter(s -> "GET".equals(s.get("name"))
                && String.valueOf(attributes(s).get("http.url")).contains("/doc/"))).hasSize(2);
        assertThat(spans.stream().filter(s -> s.get("name").equals("rag-analysis record"))
                .map(s -> attributes(s).get("pipeline.source"))).hasSize(2).allSatisfy(src -> assertThat(
                        String.valueOf(src)).containsAnyOf("tide.txt", "crane.txt"));
        // the model call is a child of its record's analysis span
        Map<String, Object> analysis = spans.stream().filter(s -> s.get("name").equals("rag-analysis record"))
                .findFirst().orElseThrow();
        assertThat(descendants(spans, (String) analysis.get("span_id"))).anySatisfy(s -> assertThat(
                String.valueOf(attributes(s).get("camel.uri"))).startsWith("langchain4j-chat"));
        // with its model and tokens, on the record's analysis route span
        assertThat(descendants(spans, (String) analysis.get("span_id"))).anySatisfy(s -> assertThat(attributes(s))
                .containsEntry("pipeline.stage", "analysis").containsEntry("pipeline.run_id", runId)
                .containsEntry("gen_ai.request.model", "extractive-minilm").containsKey("gen_ai.usage.input_tokens")
                .containsKey("gen_ai.usage.output_tokens"));
        // a batch stage's record span is linked to its batch's span
        assertThat(spans.stream().filter(s -> s.get("name").equals("rag-vector-ingest record")))
                .allSatisfy(s -> assertThat((List<?>) s.get("links")).hasSize(1));
        // a parent is in the trace, or the span is its root (nothing dangles)
        Set<String> ids = spans.stream().map(s -> (String) s.get("span_id")).collect(Collectors.toSet());
        assertThat(spans.stream().filter(s -> s.get("parent_span_id") == null)).hasSize(1);
        assertThat(spans.stream().filter(s -> s.get("parent_span_id") != null))
                .allSatisfy(s -> assertThat(ids).contains((String) s.get("parent_span_id")));

        // never the source's key, never captured content, never the API key
        String everything = toJson(spans);
        assertThat(everything).doesNotContain(SECRET).doesNotContain("CONTENT-773").doesNotContain(ADMIN_KEY);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aQuestionIsOneTraceWithItsRetrievalAndItsModelCall() {
        String topic = uniqueName("asked");
        createTopic(topic);
        createSegment(topic, "notes");
        publish(dataTopic(topic), "notes/pier.txt", toJson(Map.of("topic", topic, "segment", "notes", "source",
                Map.of("kind", "file", "id", "notes/pier.txt"), "content_type", "text/plain", "content",
                "Pier 4 reopens on Friday after the storm repairs.")));
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(post("/search", Map.of("query",
                "when does pier 4 reopen", "topic", topic), "X-API-Key", ADMIN_KEY).body()).contains("pier.txt"));
        Response answer = post("/chat", Map.of("question", "When does pier 4 reopen?", "topic", topic),
                "X-API-Key", ADMIN_KEY);
        assertThat(answer.status()).as(answer.body()).isEqualTo(200);

        // the newest trace whose root is the question
        String traceId = await().atMost(Duration.ofSeconds(10)).until(() -> ((List<Map<String, Object>>) get(
                "/traces?limit=100", "X-API-Key", ADMIN_KEY).json().get("traces")).stream()
                .filter(t -> "/chat".equals(t.get("root"))).map(t -> (String) t.get("trace_id")).findFirst()
                .orElse(null), java.util.Objects::nonNull);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Set<String> uris = spans(traceId).stream().map(s -> String.valueOf(attributes(s).get("camel.uri")))
                    .collect(Collectors.toSet());
            // the request, the question on Kafka, the retrieval, the model call, the reply back to the gateway
            assertThat(uris).contains("rest://post:/chat", "direct://retrieve-for-chat",
                    "langchain4j-chat://pipeline", "direct://publish-chat-reply");
        });
        assertThat(toJson(spans(traceId))).doesNotContain("Pier 4 reopens").doesNotContain(ADMIN_KEY);
    }

    @Test
    void aTraceIsForTheAdminOnlyAndAnUnknownOrMalformedIdIsRefused() {
        Response malformed = get("/traces/not-a-trace", "X-API-Key", ADMIN_KEY);
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json()).containsKey("error");
        Response unknown = get("/traces/" + "0".repeat(31) + "1", "X-API-Key", ADMIN_KEY);
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(get("/traces/" + "0".repeat(31) + "1").status()).isEqualTo(401);
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> spans(String traceId) {
        Response r = get("/traces/" + traceId, "X-API-Key", ADMIN_KEY);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return (List<Map<String, Object>>) r.json().get("spans");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> attributes(Map<String, Object> span) {
        return (Map<String, Object>) span.get("attributes");
    }

    private static List<Map<String, Object>> descendants(List<Map<String, Object>> spans, String spanId) {
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Map<String, Object> s : spans) {
            if (spanId.equals(s.get("parent_span_id"))) {
                out.add(s);
                out.addAll(descendants(spans, (String) s.get("span_id")));
            }
        }
        return out;
    }
}
