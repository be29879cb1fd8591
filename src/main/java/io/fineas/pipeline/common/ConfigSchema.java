package io.fineas.pipeline.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

/**
 * A configuration file's JSON Schema (under {@code schemas/config/} on the class path, shipped for editors as well),
 * whose {@code message} keywords word each refusal for the person who wrote the file: {@link #problems} answers them
 * in the file's order, each with the value found when it is a plain one.
 */
public final class ConfigSchema {

    private final JsonSchema schema;

    private ConfigSchema(JsonSchema schema) {
        this.schema = schema;
    }

    /** The schema {@code schemas/config/<name>.schema.json} of the class path. */
    public static ConfigSchema load(String name) {
        String resource = "/schemas/config/" + name + ".schema.json";
        try (InputStream in = ConfigSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no schema " + resource + " on the class path");
            }
            return new ConfigSchema(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in,
                    SchemaValidatorsConfig.builder().errorMessageKeyword("message").build()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One thing wrong with a document: where (a JSON pointer; "" for the whole document) and what. */
    public record Problem(String location, String message) {
    }

    /** What is wrong with the document; empty when it is valid. */
    public List<String> problems(JsonNode document) {
        return located(document).stream().map(Problem::message).toList();
    }

    /** What is wrong with the document, and where. */
    public List<Problem> located(JsonNode document) {
        return schema.validate(document).stream()
                .map(m -> new Problem(m.getInstanceLocation().toString(), describe(m, document))).toList();
    }

    private static String describe(ValidationMessage m, JsonNode document) {
        String message = m.getMessage();
        if ("additionalProperties".equals(m.getType()) && m.getProperty() != null) {
            return message + " (found '" + m.getProperty() + "')";
        }
        JsonNode found = document.at(m.getInstanceLocation().toString());
        if (!"required".equals(m.getType()) && found.isValueNode() && !found.isNull()) {
            String value = found.asText();
            message += " (found '" + (value.length() > 60 ? value.substring(0, 60) + "..." : value) + "')";
        }
        return message;
    }
}
