package io.fineas.pipeline.rag.llm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.langchain4j.data.message.ChatMessage;
import io.fineas.pipeline.rag.CapturedRecord;

/** The LLM analysis of one captured record: its prompt from the topic's or segment's template, then the inference. */
public final class AnalysisService {

    /** One record on its way through the model. */
    public static final class Job {
        private final Map<String, Object> record;
        private final Prompts.Prompt prompt;
        private final long startedNanos = System.nanoTime();

        Job(Map<String, Object> record, Prompts.Prompt prompt) {
            this.record = record;
            this.prompt = prompt;
        }

        public List<ChatMessage> getMessages() {
            return prompt.messages();
        }
    }

    private final Prompts prompts;
    private final String modelName;

    public AnalysisService(Prompts prompts, String modelName) {
        this.prompts = prompts;
        this.modelName = modelName;
    }

    public Job prepare(String recordJson) {
        CapturedRecord record = CapturedRecord.parse(recordJson);
        return new Job(record.fields(), prompts.analysis(record.topic(), record.segment(), record.sourceId(),
                (String) record.get("title"), record.text()));
    }

    public Map<String, Object> inference(Job job, String answer) {
        Map<String, Object> r = job.record;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "inference");
        out.put("topic", r.get("topic"));
        out.put("segment", r.get("segment"));
        out.put("source", r.get("source") instanceof Map<?, ?> s ? s.get("id") : null);
        out.put("processor_id", r.get("processor_id"));
        out.put("run_id", r.get("run_id"));
        out.put("captured_at", r.get("captured_at"));
        out.put("content_hash", r.get("content_hash"));
        out.put("title", r.get("title"));
        out.put("model", modelName);
        out.put("prompt_template", job.prompt.templateId());
        out.put("latency_ms", (System.nanoTime() - job.startedNanos) / 1_000_000);
        out.put("inference", answer);
        out.put("created_at", Instant.now().toString());
        return out;
    }
}
