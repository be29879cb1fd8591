package io.fineas.pipeline.messages;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The tokens one model call took, as the provider reported them (OpenAI's {@code usage}, Ollama's
 * {@code prompt_eval_count} and {@code eval_count}); the built-in extractive model reports words. Part of an
 * {@link Inference} and a {@link ChatReply}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelUsage(
        @JsonProperty("input_tokens") long inputTokens,
        @JsonProperty("output_tokens") long outputTokens) {

    public static final ModelUsage NONE = new ModelUsage(0, 0);

    /** What a langchain4j response reported; none when the provider reported nothing. */
    public static ModelUsage of(dev.langchain4j.model.output.TokenUsage usage) {
        if (usage == null) {
            return NONE;
        }
        return new ModelUsage(usage.inputTokenCount() == null ? 0 : usage.inputTokenCount(),
                usage.outputTokenCount() == null ? 0 : usage.outputTokenCount());
    }

    public long total() {
        return inputTokens + outputTokens;
    }
}
