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
 * of the system message (the server's; never from the user's message, see {@link Prompts}) it selects the sentences
 * that best answer the question, scored by meaning (embedding similarity with the in-process MiniLM model), by the
 * question's words they hold and by whether they hold the kind of answer asked for (a time for "when", a number for
 * "how much", a place for "where"), or for an analysis task the sentences most central to the passages, and answers with
 * them, each followed by the citation [n] of its passage. Headings (a line without a sentence's end) are not answers;
 * a chosen sentence that opens with a pronoun ("She replaces ...") keeps the sentence before it, which says who. A
 * real, honest baseline: every word of an answer is in the stored data.
 */
public final class ExtractiveChatModel implements ChatModel {

    public static final String NAME = "extractive-minilm";
    private static final Pattern PASSAGE = Pattern.compile("(?m)^\\[(\\d+)]\\s*(?:\\([^)]*\\)\\s*)?(.*)$");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=[A-Z0-9\"'(])");
    private static final double MIN_SIMILARITY = 0.2;
    private static final double RELATIVE_FLOOR = 0.7;
    /** How much the share of the question's words a sentence holds adds to its similarity. */
    static final double WORD_WEIGHT = 0.3;
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");
    private static final Pattern PRONOUN_START = Pattern.compile(
            "^(?:He|She|It|They|Its|His|Her|Their|This|These|That|Those)\\b");
    /** How much a sentence holding the kind of answer the question asks for (a time, a quantity, a place) adds. */
    static final double ANSWER_KIND_WEIGHT = 0.15;
    private static final Pattern ASKS_WHEN = Pattern.compile(
            "(?i)\\b(?:when|which (?:month|year|day|date)|what (?:month|year|day|date|time))\\b");
    private static final Pattern A_TIME = Pattern.compile("\\b(?:January|February|March|April|May|June|July|August|"
            + "September|October|November|December|spring|summer|autumn|winter|(?:19|20)\\d\\d|today|yesterday|"
            + "tomorrow)\\b");
    private static final Pattern ASKS_HOW_MUCH = Pattern.compile(
            "(?i)\\b(?:how (?:much|many|large|big|high|low|long)|what (?:was|were|is|are) the (?:sales|revenue|"
            + "price|cost|turnover|size))\\b");
    private static final Pattern A_QUANTITY = Pattern.compile("\\d");
    private static final Pattern ASKS_WHERE = Pattern.compile(
            "(?i)\\b(?:where|which (?:town|city|country|place|site)|what (?:location|place|town|city))\\b");
    private static final Pattern A_PLACE = Pattern.compile("\\b(?:in|at|near|from) \\p{Lu}\\p{L}+");
    private static final java.util.Set<String> STOP_WORDS = java.util.Set.of("the", "and", "for", "was", "were",
            "are", "did", "does", "what", "when", "where", "which", "who", "whom", "why", "how", "its", "his", "her",
            "their", "this", "that", "these", "those", "with", "from", "into", "about", "has", "have", "had", "will",
            "can", "could", "would", "should", "now", "new", "our", "your", "any", "all", "out", "off", "over", "get");

    private final EmbeddingModel embeddings;
    private final int maxSentences;

    public ExtractiveChatModel(EmbeddingModel embeddings, int maxSentences) {
        this.embeddings = embeddings;
        this.maxSentences = maxSentences;
    }

    /** A sentence of passage n; {@code previous} is the sentence before it in the same paragraph, if any. */
    private record Sentence(int passage, int order, String text, String previous) {
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
            // a sentence opening with a pronoun is read, and weighed, with the one before it that says who or what
            List<Embedding> vectors = embeddings.embedAll(sentences.stream()
                    .map(s -> TextSegment.from(withReferent(s))).toList()).content();
            float[] query = question != null && !question.isBlank()
                    ? embeddings.embed(question).content().vector() : centroid(vectors);
            List<Integer> ranked = new ArrayList<>();
            for (int i = 0; i < sentences.size(); i++) {
                ranked.add(i);
            }
            java.util.Set<String> asked = question == null ? java.util.Set.of() : words(question);
            List<Pattern> answerKinds = question == null ? List.of() : answerKinds(question);
            double[] score = new double[sentences.size()];
            for (int i = 0; i < score.length; i++) {
                score[i] = cosine(query, vectors.get(i).vector())
                        + WORD_WEIGHT * wordShare(asked, withReferent(sentences.get(i)))
                        + (holdsOne(answerKinds, sentences.get(i).text()) ? ANSWER_KIND_WEIGHT : 0);
            }
            ranked.sort(Comparator.comparingDouble(i -> -score[i]));
            // a sentence must be close to the question, and not far behind the closest one
            double best = score[ranked.get(0)];
            double floor = Math.max(MIN_SIMILARITY, RELATIVE_FLOOR * best);
            List<Integer> chosen = ranked.stream()
                    .filter(i -> question == null || score[i] >= floor)
                    .limit(maxSentences).toList();
            if (chosen.isEmpty()) {
                answer = "The stored data does not answer this.";
            } else {
                StringBuilder sb = new StringBuilder(question == null && task != null ? "Key points: " : "");
                java.util.Set<String> given = new java.util.HashSet<>();
                for (int i : chosen) {
                    Sentence s = sentences.get(i);
                    if (!given.add(s.passage() + "|" + s.text())) {
                        continue; // given already, as the sentence before a chosen one
                    }
                    // "She replaces founder X" says nothing without the sentence that names her
                    String text = s.text();
                    if (!text.equals(withReferent(s)) && given.add(s.passage() + "|" + s.previous())) {
                        text = withReferent(s);
                    }
                    sb.append(text).append(" [").append(s.passage()).append("] ");
                }
                answer = sb.toString().strip();
            }
        }
        // no provider bills it: it reports the words it read and wrote as its tokens, so that accounting and budgets
        // work (and can be tried) on the embedded default
        long read = 0;
        for (ChatMessage m : request.messages()) {
            read += wordCount(m instanceof UserMessage u ? u.singleText()
                    : m instanceof dev.langchain4j.data.message.SystemMessage s ? s.text() : "");
        }
        return ChatResponse.builder().aiMessage(AiMessage.from(answer)).modelName(NAME)
                .tokenUsage(new dev.langchain4j.model.output.TokenUsage((int) read, (int) wordCount(answer))).build();
    }

    /** Runs of non-blank characters. */
    static long wordCount(String text) {
        long n = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean blank = Character.isWhitespace(text.charAt(i));
            if (!blank && !inWord) {
                n++;
            }
            inWord = !blank;
        }
        return n;
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
                    .replaceAll("(?m)^#+\\s*", "");
            int before = out.size();
            // line by line first: a heading is a line of its own, not the start of the sentence under it
            for (String paragraph : joinWrappedLines(passage)) {
                String previous = null;
                for (String sentence : SENTENCE_END.split(paragraph)) {
                    String text = sentence.strip();
                    if (text.length() >= 12) {
                        out.add(new Sentence(starts.get(p)[0], out.size(), text, previous));
                        previous = text;
                    }
                }
            }
            String whole = passage.replaceAll("\\s+", " ").strip();
            if (out.size() == before && whole.length() >= 12) {
                // a passage that is all heading (a feed title alone, a line of data) is its own sentence
                out.add(new Sentence(starts.get(p)[0], out.size(), whole, null));
            }
        }
        return out;
    }

    /** Whether the question asks when, how much or where, and the sentence holds a time, a number or a place. */
    static boolean holdsTheKindAsked(String question, String sentence) {
        return holdsOne(answerKinds(question), sentence);
    }

    /** What an answer to the question holds: a time if it asks when, a number how much, a place where. */
    private static List<Pattern> answerKinds(String question) {
        List<Pattern> kinds = new ArrayList<>();
        if (ASKS_WHEN.matcher(question).find()) {
            kinds.add(A_TIME);
        }
        if (ASKS_HOW_MUCH.matcher(question).find()) {
            kinds.add(A_QUANTITY);
        }
        if (ASKS_WHERE.matcher(question).find()) {
            kinds.add(A_PLACE);
        }
        return kinds;
    }

    private static boolean holdsOne(List<Pattern> kinds, String sentence) {
        return kinds.stream().anyMatch(kind -> kind.matcher(sentence).find());
    }

    /** The sentence, after the one before it when it opens with a pronoun ("She replaces ..." says who). */
    private static String withReferent(Sentence s) {
        return s.previous() != null && PRONOUN_START.matcher(s.text()).find() ? s.previous() + " " + s.text()
                : s.text();
    }

    /**
     * The passage's paragraphs: lines joined until one ends a sentence or a blank line comes; a short line that does
     * not end a sentence and stands alone (a heading) is left out.
     */
    static List<String> joinWrappedLines(String passage) {
        List<String> paragraphs = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        String[] lines = passage.split("\\R");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            boolean blankAfter = i + 1 >= lines.length || lines[i + 1].isBlank();
            if (line.isEmpty()) {
                flush(current, paragraphs);
                continue;
            }
            boolean endsSentence = line.matches(".*[.!?][\"')\\]]*$");
            if (current.length() == 0 && !endsSentence && blankAfter && line.length() <= 140) {
                continue; // a heading
            }
            current.append(current.length() == 0 ? "" : " ").append(line);
            if (blankAfter) {
                flush(current, paragraphs);
            }
        }
        flush(current, paragraphs);
        return paragraphs;
    }

    private static void flush(StringBuilder current, List<String> paragraphs) {
        if (current.length() > 0) {
            paragraphs.add(current.toString().replaceAll("\\s+", " "));
            current.setLength(0);
        }
    }

    /** The content words of a text, lower case (three letters or more, stop words left out). */
    static java.util.Set<String> words(String text) {
        java.util.Set<String> out = new java.util.HashSet<>();
        Matcher m = WORD.matcher(text.toLowerCase(java.util.Locale.ROOT));
        while (m.find()) {
            String w = m.group();
            if ((w.length() >= 3 || Character.isDigit(w.charAt(0))) && !STOP_WORDS.contains(w)) {
                out.add(w);
            }
        }
        return out;
    }

    /** The share of the question's content words the sentence holds (a word matches its plural and possessive). */
    static double wordShare(java.util.Set<String> asked, String sentence) {
        if (asked.isEmpty()) {
            return 0;
        }
        java.util.Set<String> held = words(sentence);
        int found = 0;
        for (String w : asked) {
            if (held.contains(w) || held.contains(w + "s") || w.endsWith("s") && held.contains(w.substring(0,
                    w.length() - 1))) {
                found++;
            }
        }
        return (double) found / asked.size();
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
