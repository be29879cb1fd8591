package io.fineas.pipeline.llm;

import java.util.List;
import java.util.Map;
import java.util.Properties;

/** LLM_PROVIDER=ollama against a stand-in of Ollama's /api/chat. */
class OllamaProviderTest extends LlmStandInTestSupport {

    @Override
    protected void providerProperties(Properties p, String baseUrl) {
        p.put("pipeline.llm.provider", "ollama");
        p.put("pipeline.llm.ollama.base-url", baseUrl);
        p.put("pipeline.llm.ollama.model", "llama-test");
    }

    @Override
    protected String chatPath() {
        return "/api/chat";
    }

    @Override
    protected String expectedModel() {
        return "llama-test";
    }

    @Override
    protected String completion(String content) {
        return "{\"model\":\"llama-test\",\"created_at\":\"2026-11-25T10:00:00Z\",\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + content + "\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":1000,"
                + "\"prompt_eval_count\":10,\"eval_count\":5}";
    }

    @Override
    protected List<Map<String, Object>> messages(Map<String, Object> body) {
        return (List<Map<String, Object>>) body.get("messages");
    }
}
