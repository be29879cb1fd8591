package io.fineas.pipeline.rag.llm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import dev.langchain4j.data.message.ChatMessage;
import io.fineas.pipeline.rag.SearchHit;
import io.fineas.pipeline.rag.SemanticSearch;
import org.bson.Document;

/**
 * The chat service's steps around the model call: retrieve the chunks for the question (filtered by topic and
 * segment), build the prompt with the recent turns of the session, and shape the reply with its sources.
 */
public final class ChatService {

    /** One question on its way through the model. */
    public static final class Turn {
        private final Map<String, Object> request;
        private final List<SearchHit> hits;
        private final List<ChatMessage> messages;
        private final long startedNanos = System.nanoTime();

        Turn(Map<String, Object> request, List<SearchHit> hits, List<ChatMessage> messages) {
            this.request = request;
            this.hits = hits;
            this.messages = messages;
        }

        public List<ChatMessage> getMessages() {
            return messages;
        }

        public Object getCorrelationId() {
            return request.get("correlation_id");
        }
    }

    private final SemanticSearch search;
    private final Prompts prompts;
    private final MongoCollection<Document> sessions;
    private final String modelName;
    private final int topK;
    private final int historyTurns;

    private final java.time.Duration sessionTtl;

    /**
     * @param sessionTtl how long a session's turns are kept and used: a turn older than this is neither read nor kept
     *                   (a TTL index removes it on MongoDB; every new turn also removes the expired ones)
     */
    public ChatService(SemanticSearch search, Prompts prompts, MongoCollection<Document> sessions, String modelName,
            int topK, int historyTurns, java.time.Duration sessionTtl) {
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

    public Turn prepare(Map<String, Object> request) {
        String question = (String) request.get("question");
        if (question == null || question.isBlank() || request.get("correlation_id") == null) {
            throw new IllegalArgumentException("not a chat request: question and correlation_id are required");
        }
        List<SearchHit> hits = search.hits(question, (String) request.get("topic"), (String) request.get("segment"),
                topK);
        return new Turn(request, hits, prompts.chat(question, hits, history((String) request.get("session_id")))
                .messages());
    }

    private List<Map<String, Object>> history(String sessionId) {
        if (sessionId == null) {
            return List.of();
        }
        List<Map<String, Object>> turns = new ArrayList<>();
        String cutoff = Instant.now().minus(sessionTtl).toString();
        for (Document d : sessions.find(Filters.and(Filters.eq("session_id", sessionId), Filters.gt("at", cutoff)))
                .sort(Sorts.descending("at")).limit(historyTurns)) {
            turns.add(d);
        }
        Collections.reverse(turns);
        return turns;
    }

    public Map<String, Object> reply(Turn turn, String answer) {
        List<Map<String, Object>> sources = new ArrayList<>();
        for (int i = 0; i < turn.hits.size(); i++) {
            SearchHit h = turn.hits.get(i);
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("n", i + 1);
            s.put("topic", h.metadata().get("topic"));
            s.put("segment", h.metadata().get("segment"));
            s.put("source", h.metadata().get("source"));
            s.put("title", h.metadata().get("title"));
            s.put("chunk", h.text());
            s.put("score", h.score());
            sources.add(s);
        }
        Object sessionId = turn.request.get("session_id");
        if (sessionId != null) {
            Instant now = Instant.now();
            sessions.insertOne(new Document("session_id", sessionId).append("question", turn.request.get("question"))
                    .append("answer", answer).append("at", now.toString())
                    .append("expires_at", java.util.Date.from(now.plus(sessionTtl))));
            sessions.deleteMany(Filters.lt("at", now.minus(sessionTtl).toString()));
        }
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("correlation_id", turn.getCorrelationId());
        reply.put("answer", answer);
        reply.put("sources", sources);
        reply.put("model", modelName);
        reply.put("latency_ms", (System.nanoTime() - turn.startedNanos) / 1_000_000);
        return reply;
    }

    /** The reply when the model cannot be reached (circuit open, retries spent): the client gets a 503, not a wait. */
    public Map<String, Object> failed(Map<String, Object> request, String reason) {
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("correlation_id", request == null ? null : request.get("correlation_id"));
        reply.put("error", "llm_unavailable");
        reply.put("detail", reason);
        return reply;
    }
}
