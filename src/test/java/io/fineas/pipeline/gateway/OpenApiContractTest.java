package io.fineas.pipeline.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API contract and the routes agree: every REST operation of every role (routes/ ** /*.camel.yaml) is in the
 * OpenAPI document with the same method, path and id, and every documented operation exists; the document served at
 * /openapi.json is valid OpenAPI 3.1; each request body is the very schema its route validates against.
 */
class OpenApiContractTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final OpenApiDocument contract = new OpenApiDocument();

    /** "POST /topics post-topics" for each operation of the routes' REST DSL. */
    private static Set<String> routedOperations() throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".camel.yaml")).toList()) {
                for (JsonNode element : YAML.readTree(file.toFile())) {
                    JsonNode rest = element.get("rest");
                    if (rest == null) {
                        continue;
                    }
                    for (String verb : new String[] {"get", "post", "put", "delete", "patch"}) {
                        for (JsonNode op : rest.path(verb)) {
                            out.add(verb.toUpperCase() + " " + op.path("path").asText() + " " + op.path("id").asText());
                        }
                    }
                }
            }
        }
        return out;
    }

    private Set<String> documentedOperations() {
        Set<String> out = new TreeSet<>();
        contract.document().path("paths").fields().forEachRemaining(path -> path.getValue().fields()
                .forEachRemaining(op -> out.add(op.getKey().toUpperCase() + " " + path.getKey() + " "
                        + op.getValue().path("operationId").asText())));
        return out;
    }

    @Test
    void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() throws IOException {
        Set<String> routed = routedOperations();
        assertThat(routed).hasSizeGreaterThanOrEqualTo(19);
        assertThat(documentedOperations()).isEqualTo(routed);
    }

    @Test
    void theServedDocumentIsValidOpenApi31WithAScopeAndRoleAndErrorsForEveryOperation() {
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(contract.json());
        assertThat(parsed.getMessages()).isEmpty();
        assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
        contract.document().path("paths").fields().forEachRemaining(path -> path.getValue().fields()
                .forEachRemaining(op -> {
                    String name = op.getKey() + " " + path.getKey();
                    assertThat(op.getValue().path("x-scope").asText()).as(name).isNotBlank();
                    assertThat(op.getValue().path("x-roles")).as(name).isNotEmpty();
                    assertThat(op.getValue().path("responses").has("401")).as(name).isTrue();
                }));
        // self-contained: no reference leaves the document
        assertThat(contract.json()).doesNotContain(".schema.json\"");
    }

    @Test
    void eachRequestBodyIsTheSchemaItsRouteValidatesAgainst() throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode schemas = contract.document().path("components").path("schemas");
        for (String file : new String[] {"topic-request", "segment-request", "collect-request", "chat-request",
            "search-request", "key-request", "evaluation-request", "topic-budget", "node-join", "node-submission"}) {
            JsonNode original = json.readTree(Path.of("src/main/resources/schemas", file + ".schema.json").toFile());
            ((com.fasterxml.jackson.databind.node.ObjectNode) original).remove(java.util.List.of("$schema", "$id"));
            assertThat(schemas.get(OpenApiDocument.componentName(file + ".schema.json"))).as(file).isEqualTo(original);
        }
        // and every route that validates a body names one of them
        try (Stream<Path> files = Files.walk(Path.of("routes"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".camel.yaml")).toList()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("json-validator:schemas/([a-z-]+)\\.schema\\.json")
                        .matcher(Files.readString(f));
                while (m.find()) {
                    assertThat(schemas.has(OpenApiDocument.componentName(m.group(1) + ".schema.json"))).as(m.group())
                            .isTrue();
                }
            }
        }
    }
}
