package io.fineas.pipeline.rag.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fineas.pipeline.catalog.Names;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.ConfigSchema;

/**
 * Questions about a topic with the sources that answer them and the fact a right answer holds:
 * {@code EVAL_DIR/<name>/golden.json}, checked against schemas/config/golden-set.schema.json.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GoldenSet(
        @JsonProperty("name") String name,
        @JsonProperty("description") String description,
        @JsonProperty("topic") String topic,
        @JsonProperty("segment") String segment,
        @JsonProperty("questions") List<Question> questions) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ConfigSchema SCHEMA = ConfigSchema.load("golden-set");

    /** One question: the source ids that answer it (any of them is right) and the fact the answer must hold. */
    public record Question(
            @JsonProperty("id") String id,
            @JsonProperty("kind") String kind,
            @JsonProperty("question") String question,
            @JsonProperty("sources") List<String> sources,
            @JsonProperty("fact") String fact) {
    }

    /** The golden set of that name in the folder; 404 when there is none, 400 when it is not a golden set. */
    public static GoldenSet load(Path folder, String nameValue) {
        String name = Names.require("golden_set", nameValue);
        Path file = folder.resolve(name).resolve("golden.json");
        if (!Files.isRegularFile(file)) {
            throw ApiException.notFound("no golden set '" + name + "' (" + file + ")");
        }
        try {
            JsonNode tree = JSON.readTree(file.toFile());
            List<String> problems = SCHEMA.problems(tree);
            if (!problems.isEmpty()) {
                throw ApiException.badRequest("golden set '" + name + "': " + String.join("; ", problems));
            }
            return JSON.treeToValue(tree, GoldenSet.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("golden set '" + name + "' is not valid JSON "
                    + io.fineas.pipeline.common.JsonSyntax.where(e));
        } catch (IOException e) {
            throw ApiException.badRequest("golden set '" + name + "' cannot be read");
        }
    }
}
