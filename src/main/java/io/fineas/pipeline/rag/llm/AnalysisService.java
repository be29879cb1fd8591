package io.fineas.pipeline.rag.llm;

import java.time.Instant;
import java.util.List;
import java.util.function.Predicate;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import dev.langchain4j.data.message.ChatMessage;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.common.RecordTraces;
import io.fineas.pipeline.messages.ModelUsage;
import io.fineas.pipeline.messages.Inference;
import io.fineas.pipeline.messages.CapturedRecord;
import io.fineas.pipeline.rag.Fingerprint;
import io.fineas.pipeline.rag.RecordText;
import io.fineas.pipeline.rag.LiveSegments;
import io.fineas.pipeline.usage.TokenLedger;
import org.bson.Document;

/**
 * The LLM analysis of one captured record: its prompt from the topic's or segment's template, then the inference.
 *
 * <p>Exactly one inference per source: its {@code _id} is derived from what makes it (topic, segment, source, prompt
 * template, model), so storing it again replaces it (a new version of the source replaces the old inference), and a
 * record whose content the stored inference was already made from is {@code unchanged}: no model call (a replay after
 * a crash, a re-collect of the same data).
 */
public final class AnalysisService {

    /** One record on its way through the model. */
    public static final class Job {
        private final CapturedRecord record;
        private final Prompts.Prompt prompt;
        private final String id;
        private final String contentHash;
        private final boolean unchanged;
        private final boolean stale;
        private final boolean paused;
        private final ChargedPrompt messages;
        private final long startedNanos = System.nanoTime();

        Job(CapturedRecord record, Prompts.Prompt prompt, String id, String contentHash, boolean unchanged,
                boolean stale, boolean paused) {
            this.record = record;
            this.prompt = prompt;
            this.paused = paused;
            this.messages = prompt == null ? null : new ChargedPrompt(prompt.messages(), new TokenLedger.Account(
                    record.topic(), record.segment(), record.requestedBy(), "analysis"));
            this.id = id;
            this.contentHash = contentHash;
            this.unchanged = unchanged;
            this.stale = stale;
        }

        /** Its segment was deleted (or deleted and created again) since it was captured: nothing to analyse. */
        public boolean isStale() {
            return stale;
        }

        public List<ChatMessage> getMessages() {
            return messages;
        }

        /** Its topic spent its token budget for today: it waits (usage/PausedAnalyses). */
        public boolean isPaused() {
            return paused;
        }

        public String getId() {
            return id;
        }

        public String getTopic() {
            return record.topic();
        }

        /** The stored inference was made from this very content, with this template and model. */
        public boolean isUnchanged() {
            return unchanged;
        }
    }

    private final Prompts prompts;
    private final String modelName;
    private final MongoDatabase data;
    private final LiveSegments live;
    private final Predicate<String> overBudget;
    private final int maxTextChars;
    private final String dataTopicPrefix;

    /**
     * @param overBudget   whether a topic spent its token budget for today
     * @param maxTextChars the most text read from one record (as ingestion reads it)
     * @param dataTopicPrefix what a record's topic is prefixed with in the name of the Kafka topic it comes from
     */
    public AnalysisService(Prompts prompts, String modelName, MongoDatabase data, LiveSegments live,
            Predicate<String> overBudget, int maxTextChars, String dataTopicPrefix) {
        this.dataTopicPrefix = dataTopicPrefix;
        this.overBudget = overBudget;
        this.maxTextChars = maxTextChars;
        this.prompts = prompts;
        this.modelName = modelName;
        this.data = data;
        this.live = live;
    }

    /** The id of the inference of a source: one per topic, segment, source, prompt template and model. */
    public static String inferenceId(String topic, String segment, String source, String template, String model) {
        return "inference:" + Hashes.sha256Hex(String.join("\u0000", topic, segment, source, template, model))
                .substring(0, 32);
    }

    public Job prepare(String recordJson) {
        return prepare(recordJson, null);
    }

    /** @param kafkaTopic the Kafka topic the record was read from (its own topic must match); null: checked before */
    public Job prepare(String recordJson, String kafkaTopic) {
        RecordText read = RecordText.parse(recordJson, maxTextChars).requireFrom(kafkaTopic, dataTopicPrefix);
        CapturedRecord record = read.record();
        if (!live.isLive(record.topic(), record.segment(), record.generation())) {
            return new Job(record, null, null, null, false, true, false);
        }
        Prompts.Prompt prompt = prompts.analysis(record.topic(), record.segment(), record.sourceId(),
                record.title(), read.text());
        String id = inferenceId(record.topic(), record.segment(), record.sourceId(), prompt.templateId(), modelName);
        String contentHash = record.contentHash() != null ? record.contentHash() : Hashes.sha256Hex(read.text());
        Document stored = data.getCollection(record.topic()).find(Filters.eq("_id", id))
                .projection(Projections.include("content_hash", "generation", InferenceStore.CAPTURED_MILLIS)).first();
        // the same content analysed for the same generation of the segment (one created anew is analysed anew)
        boolean unchanged = stored != null && contentHash.equals(stored.getString("content_hash"))
                && CapturedRecord.sameGeneration(record.generation(), stored.getString("generation"));
        // the stored inference was made from a version captured after this one (a parked record resumed, a dead
        // letter replayed): this one is out of date, and no model call is made for it
        Long captured = Fingerprint.millis(record.capturedAt());
        if (!unchanged && stored != null && captured != null
                && stored.get(InferenceStore.CAPTURED_MILLIS) instanceof Long newer && newer > captured) {
            return new Job(record, null, null, null, false, true, false);
        }
        return new Job(record, prompt, id, contentHash, unchanged, false,
                !unchanged && overBudget.test(record.topic()));
    }

    /**
     * As {@link #inference(Job, String)}; the record's span (the analysis route's, in the record's trace) gets what
     * the trace should say of the model call: the record's run, topic, segment and source, the model and its tokens
     * (OpenTelemetry's gen_ai attribute names).
     */
    public Inference inference(Job job, String answer, org.apache.camel.Exchange exchange) {
        Inference inference = inference(job, answer);
        RecordTraces.tag(exchange, RecordTraces.STAGE, "analysis");
        RecordTraces.tag(exchange, RecordTraces.TOPIC, inference.topic());
        RecordTraces.tag(exchange, RecordTraces.SEGMENT, inference.segment());
        RecordTraces.tag(exchange, RecordTraces.RUN_ID, inference.runId());
        RecordTraces.tag(exchange, RecordTraces.PROCESSOR_ID, inference.processorId());
        RecordTraces.tag(exchange, RecordTraces.SOURCE, inference.source());
        RecordTraces.tag(exchange, "gen_ai.request.model", modelName);
        ModelUsage used = job.messages.usage();
        if (used != null) {
            RecordTraces.tag(exchange, "gen_ai.usage.input_tokens", used.inputTokens());
            RecordTraces.tag(exchange, "gen_ai.usage.output_tokens", used.outputTokens());
        }
        return inference;
    }

    public Inference inference(Job job, String answer) {
        CapturedRecord r = job.record;
        return new Inference(job.id, Inference.KIND, r.topic(), r.segment(), r.sourceId(), r.processorId(),
                r.runId(), r.capturedAt(), job.contentHash, r.title(), r.generation(), modelName,
                job.prompt.templateId(), (System.nanoTime() - job.startedNanos) / 1_000_000, job.messages.usage(), answer,
                Instant.now().toString());
    }
}
