package io.fineas.pipeline.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The API contract (src/main/resources/openapi.yaml), served as one self-contained OpenAPI 3.1 document at
 * GET /openapi.json: each body schema it names by file ({@code schemas/<name>.schema.json}, the very files the routes
 * validate requests against) is put into {@code components.schemas} and referred to there, so the document and the
 * validation cannot drift apart. Built once, at start.
 */
public final class OpenApiDocument {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final String json;
    private final JsonNode document;

    public OpenApiDocument() {
        try (InputStream in = resource("openapi.yaml")) {
            ObjectNode doc = (ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(in);
            ObjectNode schemas = ((ObjectNode) doc.path("components")).with("schemas");
            bundle(doc, schemas);
            this.document = doc;
            this.json = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the API contract openapi.yaml", e);
        }
    }

    /** GET /openapi.json. */
    public String json() {
        return json;
    }

    public JsonNode document() {
        return document;
    }

    /** Every {@code $ref} to a schema file becomes a reference to its copy in components.schemas. */
    private static void bundle(JsonNode node, ObjectNode schemas) throws IOException {
        if (node instanceof ObjectNode object) {
            JsonNode ref = object.get("$ref");
            if (ref != null && ref.asText().endsWith(".schema.json")) {
                String file = ref.asText();
                String name = componentName(file);
                if (!schemas.has(name)) {
                    try (InputStream in = resource("schemas/" + file.replaceFirst("^schemas/", ""))) {
                        ObjectNode schema = (ObjectNode) JSON.readTree(in);
                        // the file's own dialect and identity: the document's dialect (2020-12) reads them alike
                        schema.remove(java.util.List.of("$schema", "$id"));
                        schemas.set(name, schema);
                    }
                }
                object.put("$ref", "#/components/schemas/" + name);
                return;
            }
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                bundle(fields.next().getValue(), schemas);
            }
        } else if (node.isArray()) {
            for (JsonNode item : node) {
                bundle(item, schemas);
            }
        }
    }

    /** "schemas/topic-request.schema.json" -> TopicRequest, "messages/inference.schema.json" -> Inference. */
    static String componentName(String file) {
        String base = file.substring(file.lastIndexOf('/') + 1).replace(".schema.json", "");
        StringBuilder out = new StringBuilder();
        for (String part : base.split("-")) {
            out.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
        }
        return out.toString();
    }

    private static InputStream resource(String path) throws IOException {
        InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IOException("no " + path + " on the class path");
        }
        return in;
    }
}
