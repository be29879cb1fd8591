package io.fineas.pipeline.llm;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/** LLM_PROVIDER=openai against a stand-in of the OpenAI chat completions API. */
class OpenAiProviderTest extends LlmStandInTestSupport {

    @Override
    protected void providerProperties(Properties p, String baseUrl) {
        p.put("pipeline.llm.provider", "openai");
        p.put("pipeline.llm.openai.base-url", baseUrl + "/v1");
        p.put("pipeline.llm.openai.api-key", "test-openai-key");
        p.put("pipeline.llm.openai.model", "gpt-test");
    }

    @Override
    protected String chatPath() {
        return "/v1/chat/completions";
    }

    @Override
    protected String expectedModel() {
        return "gpt-test";
    }

    @Override
    protected String completion(String content) {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1764000000,\"model\":\"gpt-test\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + content + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5,"
                + "\"total_tokens\":15}}";
    }

    @Override
    protected List<Map<String, Object>> messages(Map<String, Object> body) {
        assertThat(received).allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer test-openai-key"));
        return (List<Map<String, Object>>) body.get("messages");
    }
}
