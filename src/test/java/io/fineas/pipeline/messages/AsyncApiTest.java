package io.fineas.pipeline.messages;

import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/asyncapi.yaml and the code agree: every Kafka topic the configuration names is a channel of the document, and
 * every message that names its Java record has a payload schema with exactly the record's fields, which a message
 * the record makes passes.
 */
class AsyncApiTest {

    private static final Path DOCS = Path.of("docs");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode document() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(DOCS.resolve("asyncapi.yaml").toFile());
    }

    @Test
    void everyConfiguredTopicIsAChannel() throws Exception {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("src/main/resources/application.properties"))) {
            p.load(in);
        }
        List<String> topics = new ArrayList<>();
        for (String topic : resolve(p, p.getProperty("pipeline.kafka.internal-topics")).split(",")) {
            topics.add(topic.trim());
        }
        topics.add(resolve(p, p.getProperty("pipeline.kafka.data-topic-prefix")) + "{topic}");
        Set<String> addresses = new HashSet<>();
        document().get("channels").forEach(c -> addresses.add(c.get("address").asText()));
        assertThat(addresses).containsAll(topics);
        // and every operation says which role sends or receives it
        document().get("operations").forEach(o -> assertThat(o.get("x-roles")).isNotEmpty());
    }

    @Test
    void everyTypedMessageHasTheFieldsOfItsRecordAndItsMessagesPassItsSchema() throws Exception {
        List<String> checked = new ArrayList<>();
        var messages = document().get("components").get("messages").fields();
        while (messages.hasNext()) {
            var message = messages.next();
            JsonNode javaType = message.getValue().get("x-java-type");
            if (javaType == null) {
                continue;
            }
            Class<?> type = Class.forName(javaType.asText());
            assertThat(type.isRecord()).as(javaType.asText()).isTrue();
            Path schemaFile = DOCS.resolve(message.getValue().get("payload").get("$ref").asText()).normalize();
            JsonNode schema = JSON.readTree(schemaFile.toFile());
            Set<String> fields = new HashSet<>();
            for (RecordComponent c : type.getRecordComponents()) {
                JsonProperty name = c.getAccessor().getAnnotation(JsonProperty.class);
                fields.add(name != null ? name.value() : c.getName());
            }
            Set<String> properties = new HashSet<>();
            schema.get("properties").fieldNames().forEachRemaining(properties::add);
            assertThat(properties).as("%s: the schema's properties are the record's fields", message.getKey())
                    .isEqualTo(fields);
            schema.get("required").forEach(r -> assertThat(properties).contains(r.asText()));
            // the schema is also on the class path, where the code finds it
            assertThat(AsyncApiTest.class.getResource("/schemas/messages/" + schemaFile.getFileName())).isNotNull();
            checked.add(message.getKey());
        }
        assertThat(checked).contains("Alert", "CapturedRecord", "CaptureFailure", "RunSummary", "DeletionEvent", "Inference", "ChatQuestion", "ChatReply");
    }

    @Test
    void anInferenceAsTheAnalysisPublishesItPassesItsSchema() throws Exception {
        JsonSchema schema = schema("inference");
        Inference inference = new Inference("inference:0123456789abcdef0123456789abcdef", Inference.KIND, "finance",
                "news", "http://example.org/1", "news", "run-1", "2026-11-26T00:00:00Z", "ab12", null, "g1",
                "extractive-minilm", "analysis/default", 12, new ModelUsage(300, 40), "Key points: ... [1]", "2026-11-26T00:00:01Z");
        JsonNode json = JSON.valueToTree(inference);
        assertThat(schema.validate(json)).isEmpty();
        assertThat(JSON.treeToValue(json, Inference.class)).isEqualTo(inference);
        // a field the schema does not know, or a required one missing, is caught
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).put("surprise", 1);
        assertThat(schema.validate(json)).isNotEmpty();
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).remove("surprise");
        ((com.fasterxml.jackson.databind.node.ObjectNode) json).remove("model");
        assertThat(schema.validate(json)).isNotEmpty();
    }

    @Test
    void deletionEventsAsTheGatewayPublishesThemPassTheirSchema() throws Exception {
        JsonSchema schema = schema("deletion-event");
        JsonNode topic = JSON.valueToTree(DeletionEvent.of("finance", null, "2026-11-26T00:00:00Z"));
        JsonNode segment = JSON.valueToTree(DeletionEvent.of("finance", "news", "2026-11-26T00:00:00Z"));
        assertThat(schema.validate(topic)).isEmpty();
        assertThat(topic.has("segment")).isFalse();
        assertThat(schema.validate(segment)).isEmpty();
        assertThat(JSON.treeToValue(segment, DeletionEvent.class).event()).isEqualTo(DeletionEvent.SEGMENT_DELETED);
        // an event of a kind this version does not know is read, and passed over
        assertThat(JSON.readValue("{\"event\":\"topic_renamed\",\"topic\":\"finance\",\"to\":\"fin\"}",
                DeletionEvent.class).isDeletion()).isFalse();
    }

    @Test
    void aRunSummaryAsAProcessorPublishesItPassesItsSchema() throws Exception {
        JsonSchema schema = schema("run-summary");
        RunSummary summary = new RunSummary("run-1", "news", "finance", "news", RunSummary.status(9, 1), 10, 9, 1, 9, 3,
                "2026-11-26T00:00:00Z", "2026-11-26T00:00:02Z", 2000);
        JsonNode json = JSON.valueToTree(summary);
        assertThat(schema.validate(json)).isEmpty();
        assertThat(summary.status()).isEqualTo("partial");
        assertThat(summary.fields()).containsEntry("items_ok", 9).containsKeys("run_id", "duration_ms").hasSize(13);
        assertThat(JSON.treeToValue(json, RunSummary.class)).isEqualTo(summary);
    }

    @Test
    void anAlertAsTheGatewayPublishesItPassesItsSchemaAndABrokenOneIsRefusedWithTheReason() throws Exception {
        JsonSchema schema = schema("alert");
        Alert alert = new Alert("0193a1b2-0000-7000-8000-000000000001", "finance", List.of("news", "notes"),
                "2026-11-26T00:00:00Z", "key_0123456789abcdef", "daily-news.json");
        String json = JSON.writeValueAsString(alert);
        assertThat(schema.validate(JSON.readTree(json))).isEmpty();
        assertThat(Alert.parse(json)).isEqualTo(alert);
        assertThat(alert.targets("finance", "news")).isTrue();
        assertThat(alert.targets("finance", "other")).isFalse();
        assertThat(alert.targets("energy", "news")).isFalse();
        assertThat(new Alert("r", Alert.ANY_TOPIC, List.of("news"), "2026-11-26T00:00:00Z", null, null).targets("energy", "news"))
                .isTrue();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Alert.parse("{\"run_id\":\"r\"}")))
                .hasMessageContaining("lacks run_id, topic, segment_targets or requested_at");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Alert.parse(json.replace("2026-11-26T00:00:00Z",
                "yesterday")))).hasMessageContaining("not an ISO instant");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> Alert.parse("[1,2]")))
                .hasMessageContaining("not a JSON object");
    }

    @Test
    void chatQuestionsAndBothKindsOfRepliesPassTheirSchemas() throws Exception {
        JsonSchema questions = schema("chat-question");
        JsonSchema replies = schema("chat-reply");
        assertThat(questions.validate(JSON.valueToTree(new ChatQuestion("c1", "Who shipped?", "finance", null,
                "key-1:s1", "hybrid", "key-1")))).isEmpty();
        assertThat(questions.validate(JSON.readTree("{\"correlation_id\":\"c\",\"question\":\"q\","
                + "\"retrieval\":\"semantic\"}"))).isNotEmpty();
        ChatReply answered = ChatReply.answered("c1", "Acme shipped [1]", List.of(new ChatReply.Source(1, "finance",
                "news", "http://x/1", null, "Acme shipped 10 units.", "chunk:finance:news:abc:0", "run-1",
                "2026-11-26T00:00:00Z", 0.82)), "extractive-minilm", 40, new ModelUsage(120, 14));
        ChatReply failed = ChatReply.failed("c1", "llm_unavailable", "circuit open");
        assertThat(replies.validate(JSON.valueToTree(answered))).isEmpty();
        assertThat(replies.validate(JSON.valueToTree(failed))).isEmpty();
        assertThat(JSON.valueToTree(failed).has("answer")).isFalse();
        // neither an answer nor an error: refused
        assertThat(replies.validate(JSON.readTree("{\"correlation_id\":\"c1\"}"))).isNotEmpty();
        assertThat(JSON.treeToValue(JSON.valueToTree(answered), ChatReply.class)).isEqualTo(answered);
    }

    @Test
    void capturedRecordsOfEverySourceKindAndCaptureFailuresPassTheirSchemas() throws Exception {
        JsonSchema records = schema("captured-record");
        CapturedRecord feedEntry = CapturedRecord.of("finance", "news", "news-feed", "run-1", "key_1", "g1",
                java.util.Map.of("feed", "acme"), new CapturedRecord.Source("rss", "http://x/1"),
                "2026-11-26T00:00:00Z", "text/html", "ab12", new CapturedRecord.Extra("Acme ships", "http://x/1",
                        "2026-11-25T00:00:00Z", "http://x/feed", null), "<p>Acme ships</p>");
        CapturedRecord file = CapturedRecord.of("finance", "notes", "files", "run-1", null, null, java.util.Map.of("path",
                "a"), new CapturedRecord.Source("file", "a/b.txt"), "2026-11-26T00:00:00Z", "text/plain", "cd34",
                new CapturedRecord.Extra(null, null, null, null, "b.txt"), "text");
        for (CapturedRecord r : List.of(feedEntry, file)) {
            String json = JSON.writeValueAsString(r);
            assertThat(records.validate(JSON.readTree(json))).isEmpty();
            assertThat(CapturedRecord.parse(json)).isEqualTo(r);
        }
        // nothing null is written: a file record has no title, and no generation when its segment has none
        assertThat(JSON.valueToTree(file).has("title")).isFalse();
        assertThat(JSON.valueToTree(file).has("generation")).isFalse();
        // a reader takes what it knows from a record of a later version, and refuses one without its identity
        assertThat(CapturedRecord.parse("{\"topic\":\"t\",\"segment\":\"s\",\"source\":{\"id\":\"x\"},"
                + "\"content\":\"c\",\"language\":\"en\"}").sourceId()).isEqualTo("x");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> CapturedRecord.parse(
                "{\"topic\":\"t\",\"segment\":\"s\",\"content\":\"c\"}")))
                .hasMessageContaining("source.id and content");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> CapturedRecord.parse("{\"topic\":")))
                .hasMessageStartingWith("not a captured record");

        CaptureFailure failure = new CaptureFailure("finance", "news", "news-feed", "run-1", null,
                java.util.Map.of("feed", "acme"), new CapturedRecord.Source("rss", null), "2026-11-26T00:00:00Z",
                "HttpOperationFailedException: 404");
        assertThat(schema("capture-failure").validate(JSON.valueToTree(failure))).isEmpty();
        assertThat(JSON.valueToTree(failure).get("source").has("id")).isFalse();
    }

    /** A message's JSON Schema, as shipped. */
    private static JsonSchema schema(String name) throws java.io.IOException {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(
                Files.readString(Path.of("src/main/resources/schemas/messages/" + name + ".schema.json")));
    }

    /** {{name}} placeholders of application.properties, resolved from the same file. */
    private static String resolve(Properties p, String value) {
        Matcher m = Pattern.compile("\\{\\{([^}:]+)}}").matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(resolve(p, p.getProperty(m.group(1)))));
        }
        m.appendTail(out);
        return out.toString().trim();
    }
}
