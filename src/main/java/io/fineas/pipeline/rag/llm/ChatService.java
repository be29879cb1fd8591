package io.fineas.pipeline.rag.llm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import dev.langchain4j.data.message.ChatMessage;
import io.fineas.pipeline.messages.ChatQuestion;
import io.fineas.pipeline.messages.ChatReply;
import io.fineas.pipeline.rag.SearchHit;
import io.fineas.pipeline.rag.SemanticSearch;
import org.apache.camel.Body;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * The chat service's steps around the model call: retrieve the chunks for the question (filtered by topic and
 * segment), build the prompt with the recent turns of the session, and shape the reply with its sources.
 */
public final class ChatService {

    /** One question on its way through the model. */
    public static final class Turn {
        private final ChatQuestion request;
        private final List<SearchHit> hits;
        private final ChargedPrompt messages;
        private final long startedNanos = System.nanoTime();

        Turn(ChatQuestion request, List<SearchHit> hits, ChargedPrompt messages) {
            this.request = request;
            this.hits = hits;
            this.messages = messages;
        }

        public List<ChatMessage> getMessages() {
            return messages;
        }

        public String getCorrelationId() {
            return request.correlationId();
        }
    }

    private final SemanticSearch search;
    private final Prompts prompts;
    private final MongoCollection<Document> sessions;
    private final String modelName;
    private final int topK;
    private final int historyTurns;

    private final java.time.Duration sessionTtl;
    private final java.util.function.Predicate<String> overBudget;

    /**
     * @param sessionTtl how long a session's turns are kept and used: a turn older than this is neither read nor kept
     *                   (a TTL index removes it on MongoDB; every new turn also removes the expired ones)
     */
    public ChatService(SemanticSearch search, Prompts prompts, MongoCollection<Document> sessions, String modelName,
            int topK, int historyTurns, java.time.Duration sessionTtl) {
        this(search, prompts, sessions, modelName, topK, historyTurns, sessionTtl, topic -> false);
    }

    /** @param overBudget whether a topic spent its token budget for today (its questions are then not answered) */
    public ChatService(SemanticSearch search, Prompts prompts, MongoCollection<Document> sessions, String modelName,
            int topK, int historyTurns, java.time.Duration sessionTtl,
            java.util.function.Predicate<String> overBudget) {
        this.overBudget = overBudget;
        this.sessionTtl = sessionTtl;
        sessions.createIndex(com.mongodb.client.model.Indexes.ascending("session_id", "at"));
        sessions.createIndex(com.mongodb.client.model.Indexes.ascending("expires_at"),
                new com.mongodb.client.model.IndexOptions().expireAfter(0L, java.util.concurrent.TimeUnit.SECONDS));
        this.search = search;
        this.prompts = prompts;
        this.sessions = sessions;
        this.modelName = modelName;
        this.topK = topK;
        this.historyTurns = historyTurns;
    }

    public Turn prepare(@Body ChatQuestion request) {
        String question = request.question();
        if (question == null || question.isBlank() || request.correlationId() == null) {
            throw new IllegalArgumentException("not a chat request: question and correlation_id are required");
        }
        List<SearchHit> hits = search.hits(question, request.topic(), request.segment(), topK,
                search.retrievalOrDefault(request.retrieval()));
        return new Turn(request, hits, new ChargedPrompt(prompts.chat(question, hits, history(request.sessionId()))
                .messages(), new io.fineas.pipeline.usage.TokenLedger.Account(request.topic(), request.segment(),
                        request.keyId(), "chat")));
    }

    private List<Prompts.Exchange> history(String sessionId) {
        if (sessionId == null) {
            return List.of();
        }
        List<Prompts.Exchange> turns = new ArrayList<>();
        String cutoff = Instant.now().minus(sessionTtl).toString();
        for (Document d : sessions.find(Filters.and(Filters.eq("session_id", sessionId), Filters.gt("at", cutoff)))
                .sort(Sorts.descending("at")).limit(historyTurns)) {
            turns.add(new Prompts.Exchange(d.getString("question"), d.getString("answer")));
        }
        Collections.reverse(turns);
        return turns;
    }

    public ChatReply reply(@Variable("turn") Turn turn, @Body String answer) {
        List<ChatReply.Source> sources = new ArrayList<>();
        for (int i = 0; i < turn.hits.size(); i++) {
            SearchHit h = turn.hits.get(i);
            sources.add(new ChatReply.Source(i + 1, text(h.metadata().get("topic")), text(h.metadata().get("segment")),
                    text(h.metadata().get("source")), text(h.metadata().get("title")), h.text(), h.id(),
                    text(h.metadata().get("run_id")), text(h.metadata().get("captured_at")), h.score()));
        }
        String sessionId = turn.request.sessionId();
        if (sessionId != null) {
            Instant now = Instant.now();
            sessions.insertOne(new Document("session_id", sessionId).append("question", turn.request.question())
                    .append("answer", answer).append("at", now.toString())
                    .append("expires_at", java.util.Date.from(now.plus(sessionTtl))));
            sessions.deleteMany(Filters.lt("at", now.minus(sessionTtl).toString()));
        }
        return ChatReply.answered(turn.getCorrelationId(), answer, sources, modelName,
                (System.nanoTime() - turn.startedNanos) / 1_000_000, turn.messages.usage());
    }

    /** The reply when the model cannot be reached (circuit open, retries spent): the client gets a 503, not a wait. */
    /**
     * Whether the question's topic spent its token budget for today: its questions wait as its analyses do. A question
     * over every topic is not held (its tokens are charged to the asking key).
     */
    public boolean spentBudget(@Body ChatQuestion request) {
        return request.topic() != null && overBudget.test(request.topic());
    }

    /** The reply to a question on a topic that spent its token budget for today: no model call is made. */
    public ChatReply overBudget(@Variable("request") ChatQuestion request) {
        return ChatReply.failed(request.correlationId(), ChatReply.BUDGET_SPENT, "topic '" + request.topic()
                + "' spent its token budget for today");
    }

    public ChatReply failed(@Variable("request") ChatQuestion request, @Variable("reason") String reason) {
        return ChatReply.failed(request == null ? null : request.correlationId(), "llm_unavailable", reason);
    }

    private static String text(Object value) {
        return value == null ? null : String.valueOf(value);
    }
}
