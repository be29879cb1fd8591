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
        private final CapturedRecord record;
        private final Prompts.Prompt prompt;
        private final long startedNanos = System.nanoTime();

        Job(CapturedRecord record, Prompts.Prompt prompt) {
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
        return new Job(record, prompts.analysis(record.topic(), record.segment(), record.sourceId(),
                (String) record.get("title"), record.text()));
    }

    public Map<String, Object> inference(Job job, String answer) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", "inference");
        out.putAll(job.record.provenance());
        out.put("model", modelName);
        out.put("prompt_template", job.prompt.templateId());
        out.put("latency_ms", (System.nanoTime() - job.startedNanos) / 1_000_000);
        out.put("inference", answer);
        out.put("created_at", Instant.now().toString());
        return out;
    }
}
