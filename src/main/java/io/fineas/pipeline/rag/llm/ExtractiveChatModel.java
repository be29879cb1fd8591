package io.fineas.pipeline.rag.llm;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.embedding.EmbeddingModel;

/**
 * The offline default "LLM": an extractive model. It writes nothing of its own: from the numbered context passages
 * of the system message (the server's; never from the user's message, see {@link Prompts}) it selects the sentences closest in meaning to the question (embedding similarity with the
 * in-process MiniLM model), or for an analysis task the sentences most central to the passages, and answers with
 * them, each followed by the citation [n] of its passage. A real, honest baseline: every word of an answer is in the
 * stored data.
 */
public final class ExtractiveChatModel implements ChatModel {

    public static final String NAME = "extractive-minilm";
    private static final Pattern PASSAGE = Pattern.compile("(?m)^\\[(\\d+)]\\s*(?:\\([^)]*\\)\\s*)?(.*)$");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=[A-Z0-9\"'(])");
    private static final double MIN_SIMILARITY = 0.2;
    private static final double RELATIVE_FLOOR = 0.7;

    private final EmbeddingModel embeddings;
    private final int maxSentences;

    public ExtractiveChatModel(EmbeddingModel embeddings, int maxSentences) {
        this.embeddings = embeddings;
        this.maxSentences = maxSentences;
    }

    private record Sentence(int passage, int order, String text) {
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        // the context only from the server's own message (the system message); the user's message is the question or
        // the task, whatever it holds
        String user = lastUserText(request.messages()).strip();
        boolean isTask = user.startsWith("Task:");
        String question = isTask ? null : user;
        String task = isTask ? user : null;
        // the server's block is the system message's last (its rules name the tags before it)
        String system = systemText(request.messages());
        int block = system.lastIndexOf(Prompts.CONTEXT_START);
        String context = block < 0 ? null : between(system.substring(block), Prompts.CONTEXT_START, Prompts.CONTEXT_END);
        List<Sentence> sentences = sentences(context == null ? "" : context);
        String answer;
        if (sentences.isEmpty()) {
            answer = "The stored data has nothing on this yet.";
        } else {
            List<Embedding> vectors = embeddings.embedAll(sentences.stream().map(s -> TextSegment.from(s.text()))
                    .toList()).content();
            float[] query = question != null && !question.isBlank()
                    ? embeddings.embed(question).content().vector() : centroid(vectors);
            List<Integer> ranked = new ArrayList<>();
            for (int i = 0; i < sentences.size(); i++) {
                ranked.add(i);
            }
            ranked.sort(Comparator.comparingDouble(i -> -cosine(query, vectors.get(i).vector())));
            // a sentence must be close to the question, and not far behind the closest one
            double best = cosine(query, vectors.get(ranked.get(0)).vector());
            double floor = Math.max(MIN_SIMILARITY, RELATIVE_FLOOR * best);
            List<Integer> chosen = ranked.stream()
                    .filter(i -> question == null || cosine(query, vectors.get(i).vector()) >= floor)
                    .limit(maxSentences).toList();
            if (chosen.isEmpty()) {
                answer = "The stored data does not answer this.";
            } else {
                StringBuilder sb = new StringBuilder(question == null && task != null ? "Key points: " : "");
                for (int i : chosen) {
                    Sentence s = sentences.get(i);
                    sb.append(s.text()).append(" [").append(s.passage()).append("] ");
                }
                answer = sb.toString().strip();
            }
        }
        return ChatResponse.builder().aiMessage(AiMessage.from(answer)).modelName(NAME).build();
    }

    private static String lastUserText(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i) instanceof UserMessage u) {
                return u.singleText();
            }
        }
        return "";
    }

    private static String systemText(List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            if (m instanceof SystemMessage s) {
                return s.text();
            }
        }
        return "";
    }

    private static String between(String text, String start, String end) {
        int s = text.indexOf(start);
        if (s < 0) {
            return null;
        }
        int from = s + start.length();
        int e = text.indexOf(end, from);
        return (e < 0 ? text.substring(from) : text.substring(from, e)).strip();
    }

    private static List<Sentence> sentences(String context) {
        List<Sentence> out = new ArrayList<>();
        Matcher m = PASSAGE.matcher(context);
        List<int[]> starts = new ArrayList<>();
        while (m.find()) {
            starts.add(new int[] {Integer.parseInt(m.group(1)), m.start(2), m.start()});
        }
        for (int p = 0; p < starts.size(); p++) {
            int end = p + 1 < starts.size() ? starts.get(p + 1)[2] : context.length();
            String passage = context.substring(starts.get(p)[1], Math.max(starts.get(p)[1], end))
                    .replaceAll("(?m)^#+\\s*", "").replaceAll("\\s+", " ").strip();
            for (String sentence : SENTENCE_END.split(passage)) {
                if (sentence.strip().length() >= 12) {
                    out.add(new Sentence(starts.get(p)[0], out.size(), sentence.strip()));
                }
            }
        }
        return out;
    }

    private static float[] centroid(List<Embedding> vectors) {
        float[] c = new float[vectors.get(0).vector().length];
        for (Embedding e : vectors) {
            float[] v = e.vector();
            for (int i = 0; i < c.length; i++) {
                c[i] += v[i];
            }
        }
        return c;
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return na == 0 || nb == 0 ? 0 : dot / Math.sqrt(na * nb);
    }
}
