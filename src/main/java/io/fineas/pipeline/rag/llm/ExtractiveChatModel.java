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
 * that best answer the question and answers with one or two of them, in document order, each followed by the citation
 * [n] of its passage (an analysis task gets the sentences most central to the passages, by the in-process MiniLM
 * model). A sentence is scored by meaning (its similarity to the question by the {@link Reader}: e5-small-v2 as
 * shipped), by the question's words it holds (each weighed by how few of the context's sentences hold it, words
 * reduced to their stems), by the figures of the question it writes whole, by whether it holds the kind of answer
 * asked for (a time for "when", a number for "how much", a place for "where", a name of the documentation's own for
 * "which function" or "how do I") and by whether it defines the very term the question names; the second sentence is
 * the best that says something the first does not (maximal marginal relevance).
 * <p>What is never an answer: the same sentence twice (compared without case, spacing or punctuation), a heading (a
 * line opened by {@code #}, or, in text that marks none, a short line without a sentence's end), a fragment without a
 * verb, a line of code (a code block is given only after the sentence that introduces it with a colon). A chosen
 * sentence that opens with a pronoun ("She replaces ...") keeps the sentence before it, which says who; one inside a
 * term's definition ("The default is typically 128 megabytes.") keeps the definition's first sentence, which names
 * the term. A real, honest baseline: every word of an answer is in the stored data.
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
    private static final Pattern NOT_WORD = Pattern.compile("[^\\p{L}\\p{N}]+");
    /**
     * How much a sentence adds that defines the very thing the question names: a term ("git-gc - Cleanup ...",
     * "subprocess.run(args, ...): ...") holding the question's names, weighed by the share of them it holds.
     */
    static final double TERM_WEIGHT = 0.2;
    /**
     * How much a sentence adds that writes the figures the question writes ("Whose recall covers 52,000 units?"),
     * weighed by the share of them it writes.
     */
    static final double FIGURE_WEIGHT = 0.2;
    /** A figure: digits, with the separators inside it ("52,000", "3.11", "10:30"), not at its ends. */
    private static final Pattern FIGURE = Pattern.compile(
            "(?<![\\p{L}\\p{N}])\\p{N}+(?:[.,:]\\p{N}+)*(?![\\p{L}\\p{N}])");
    /** How much a next sentence's closeness to a chosen one takes off its score (maximal marginal relevance). */
    static final double NOVELTY_WEIGHT = 0.5;
    /** An answer is at most this many sentences (an analysis's key points as many as configured). */
    static final int ANSWER_SENTENCES = 2;
    /** The most characters of a code block given after the sentence that introduces it. */
    private static final int CODE_CHARS = 200;
    /** A heading line of text that marks its headings (HtmlText, Markdown). */
    private static final Pattern MARKED_HEADING = Pattern.compile("(?m)^#{1,6} \\S");
    /** A sentence that opens by naming a term and goes on to define it ("-s, --schema-only: Dump only ..."). */
    private static final Pattern DEFINITION_HEAD = Pattern.compile("^(?:(?![.!?]\\s).){1,300}?(?:: | [-\u2014\u2013] )(?=\\S)");
    /** What only names of code hold: an underscore, a dot or bracket inside a word, a leading dash, a sign. */
    private static final Pattern IDENTIFIER_MARK = Pattern.compile("\\w_\\w|\\w\\.\\w|\\w\\(|(?:^|\\s)--?\\w|[<=\\[]");
    /** How a line of code or of a shell session opens. */
    private static final Pattern CODE_START = Pattern.compile("^(?:def |import |from [\\w.]+ import |>>> |\\$ |"
            + "return |[\\w.]+ = )|>>> ");
    /** A numbered entry of a table of contents or a numbered heading ("8.1.2. Arbitrary Precision Numbers"). */
    private static final Pattern TOC_ENTRY = Pattern.compile("^(?:\\d+\\.)+\\d*\\s+\\p{Lu}[^.!?]*$");
    /** Verbs and auxiliaries that make a fragment a statement (with the words ending as verbs often do). */
    private static final java.util.Set<String> VERBS = java.util.Set.of("is", "are", "was", "were", "be", "been",
            "being", "am", "has", "have", "had", "do", "does", "did", "can", "cannot", "could", "may", "might", "must",
            "shall", "should", "will", "would", "return", "make", "use", "run", "set", "get", "give", "take", "show",
            "create", "add", "remove", "delete", "keep", "let", "see", "allow", "cause", "apply", "record", "replace",
            "push", "pop", "open", "close", "read", "write", "print", "split", "join", "find", "copy", "move", "build",
            "store", "hold", "mean", "need", "want", "try", "put", "send", "start", "stop", "change", "turn", "call",
            "compute", "convert", "serialize", "transform", "specify", "enable", "disable", "list", "prune", "fetch",
            "clone", "commit", "merge", "reset", "tag", "stash", "log", "grow", "shrink", "lock", "wait", "fire");
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
    /** A question that asks for a name of the documentation's own: a function, an option, a command, a setting. */
    private static final Pattern ASKS_IDENTIFIER = Pattern.compile("(?i)\\b(?:(?:which|what) (?:[\\w-]+ ){0,2}"
            + "(?:function|option|flag|switch|command|setting|parameter|variable|method|class|module|hook|constant|"
            + "key ?word|statement|field|attribute|property|argument|directive|macro|type)s?\\b|how (?:do|can|should|"
            + "would) (?:i|you|we|one)\\b)");
    /**
     * A name of the documentation's own: an option (--amend, -a), a call (heappop(), dumps(obj)), a snake_case or
     * dotted name (log_min_duration_statement, os.path), a git subcommand.
     */
    private static final Pattern AN_IDENTIFIER = Pattern.compile("(?:^|[\\s(\\[,])--?[A-Za-z][\\w-]*|\\b[A-Za-z_]\\w*\\("
            + "|\\b[a-z]+_[a-z0-9_]+\\b|\\b[a-z_]\\w*\\.[a-z_]\\w*|\\bgit [a-z][a-z-]+");
    /** Words of questions that name no thing of their own ("How do I ...", "What does ... do"). */
    private static final java.util.Set<String> COMMON = java.util.Set.of("do", "does", "did", "is", "are", "be", "an",
            "of", "in", "on", "to", "by", "or", "if", "it", "my", "me", "we", "us", "as", "at", "so", "no", "not", "up",
            "make", "made", "use", "used", "using", "mean", "means", "default", "value", "values", "way", "one", "two",
            "which", "many", "much", "long", "large", "give", "gives", "set", "get", "see", "tell", "show", "change",
            "difference", "between", "instead", "without", "only", "also", "same", "there", "then", "than", "more",
            "most", "less", "each", "every", "some", "other", "another", "first", "last", "new", "old", "kind", "type",
            "types", "thing", "things", "happen", "happens", "work", "works", "need", "want", "can", "may", "should");
    private static final java.util.Set<String> STOP_WORDS = java.util.Set.of("the", "and", "for", "was", "were",
            "are", "did", "does", "what", "when", "where", "which", "who", "whom", "why", "how", "its", "his", "her",
            "their", "this", "that", "these", "those", "with", "from", "into", "about", "has", "have", "had", "will",
            "can", "could", "would", "should", "now", "new", "our", "your", "any", "all", "out", "off", "over", "get");

    private final EmbeddingModel embeddings;
    private final Reader reader;
    private final int maxSentences;

    /** A model that reads questions with the same embedding model as it finds an analysis's key points. */
    public ExtractiveChatModel(EmbeddingModel embeddings, int maxSentences) {
        this(embeddings, Reader.symmetric(embeddings), maxSentences);
    }

    /**
     * @param embeddings the model an analysis's key points are found with (the sentences most central to the passages)
     * @param reader the model a question is compared with each sentence by
     */
    public ExtractiveChatModel(EmbeddingModel embeddings, Reader reader, int maxSentences) {
        this.embeddings = embeddings;
        this.reader = reader;
        this.maxSentences = maxSentences;
    }

    /**
     * How a question is compared with the context's sentences: an embedding model, the prefixes it was trained with
     * for a query and for a passage (e5's "query: " and "passage: "), and the similarity it gives unrelated texts, so
     * that its similarities are read on one scale whatever the model: 0 for unrelated, 1 for the same text.
     * all-MiniLM-L6-v2 (symmetric, unrelated texts near 0) scores the sentence that restates the question above the
     * one that answers it more often than e5-small-v2, which was trained on questions and the passages that answer them
     * (docs/BENCHMARKS.md, issue 27).
     */
    public record Reader(EmbeddingModel model, String queryPrefix, String passagePrefix, double unrelated) {

        public Reader {
            if (unrelated < 0 || unrelated >= 1) {
                throw new IllegalArgumentException("the similarity of unrelated texts must be in [0, 1)");
            }
        }

        /** A symmetric model (all-MiniLM-L6-v2): no prefixes, unrelated texts near 0. */
        public static Reader symmetric(EmbeddingModel model) {
            return new Reader(model, "", "", 0);
        }

        /** e5-small-v2: "query: " and "passage: ", unrelated texts near 0.7 (its similarities lie in 0.7 to 1). */
        public static Reader e5(EmbeddingModel model) {
            return new Reader(model, "query: ", "passage: ", 0.7);
        }

        /** A similarity on the common scale: 0 for unrelated texts, 1 for the same. */
        double scaled(double similarity) {
            return (similarity - unrelated) / (1 - unrelated);
        }
    }

    /**
     * A sentence of passage n; {@code previous} is the sentence before it in the same paragraph, if any;
     * {@code head} the first sentence of its paragraph when that paragraph defines a term ("shared_buffers (integer):
     * Sets the amount of memory ..."), the term the later sentences speak of; {@code answerable} whether it may be
     * given as an answer (not a fragment without a verb, not a bare code line).
     */
    private record Sentence(int passage, int order, String text, String previous, String head, String first,
            boolean answerable) {
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
        List<Sentence> sentences = distinct(sentences(context == null ? "" : context));
        String answer;
        if (sentences.isEmpty()) {
            answer = "The stored data has nothing on this yet.";
        } else {
            // a sentence opening with a pronoun is read, and weighed, with the one before it that says who or what
            boolean isQuestion = question != null && !question.isBlank();
            Reader by = isQuestion ? reader : Reader.symmetric(embeddings);
            List<Embedding> vectors = by.model().embedAll(sentences.stream()
                    .map(s -> TextSegment.from(by.passagePrefix() + withReferent(s))).toList()).content();
            float[] query = isQuestion ? by.model().embed(by.queryPrefix() + question).content().vector()
                    : centroid(vectors);
            List<Integer> ranked = new ArrayList<>();
            for (int i = 0; i < sentences.size(); i++) {
                if (sentences.get(i).answerable()) {
                    ranked.add(i);
                }
            }
            java.util.Set<String> asked = question == null ? java.util.Set.of() : words(question);
            java.util.Set<String> figures = question == null ? java.util.Set.of() : figures(question);
            List<Pattern> answerKinds = question == null ? List.of() : answerKinds(question);
            // a question word the context's sentences seldom hold says more than one they all hold
            List<java.util.Set<String>> held = sentences.stream().map(x -> words(withReferent(x))).toList();
            java.util.Map<String, Double> weight = weights(asked, held);
            double[] score = new double[sentences.size()];
            for (int i = 0; i < score.length; i++) {
                score[i] = by.scaled(cosine(query, vectors.get(i).vector()))
                        + WORD_WEIGHT * wordShare(weight, held.get(i))
                        + TERM_WEIGHT * termShare(question, sentences.get(i))
                        + FIGURE_WEIGHT * figureShare(figures, sentences.get(i).text())
                        + (holdsOne(answerKinds, sentences.get(i).text()) ? ANSWER_KIND_WEIGHT : 0);
            }
            ranked.sort(Comparator.comparingDouble(i -> -score[i]));
            // a sentence must be close to the question, and not far behind the closest one
            double best = ranked.isEmpty() ? 0 : score[ranked.get(0)];
            double floor = Math.max(MIN_SIMILARITY, RELATIVE_FLOOR * best);
            // an answer is one or two sentences; an analysis's key points as many as configured
            List<Integer> chosen = new ArrayList<>();
            int most = question == null ? maxSentences : Math.min(maxSentences, ANSWER_SENTENCES);
            // each next sentence says something the chosen ones do not (maximal marginal relevance): the best
            // by its score less how close it is to a chosen one, so a second sentence is not the first in other words
            while (chosen.size() < most) {
                int next = -1;
                double nextValue = Double.NEGATIVE_INFINITY;
                for (int i : ranked) {
                    if (chosen.contains(i) || question != null && score[i] < floor) {
                        continue;
                    }
                    double overlap = 0;
                    for (int c : chosen) {
                        overlap = Math.max(overlap,
                                by.scaled(cosine(vectors.get(i).vector(), vectors.get(c).vector())));
                    }
                    double value = score[i] - NOVELTY_WEIGHT * overlap;
                    if (value > nextValue) {
                        next = i;
                        nextValue = value;
                    }
                }
                if (next < 0) {
                    break;
                }
                chosen.add(next);
            }
            // a question that asks for a kind of thing (a number, a time, a name) gets the best sentence holding one,
            // when the best sentence overall holds none
            if (!answerKinds.isEmpty() && chosen.size() > 1
                    && chosen.stream().noneMatch(i -> holdsOne(answerKinds, sentences.get(i).text()))) {
                ranked.stream().filter(i -> score[i] >= floor && holdsOne(answerKinds, sentences.get(i).text()))
                        .findFirst().ifPresent(i -> chosen.set(chosen.size() - 1, i));
            }
            if (chosen.isEmpty()) {
                answer = "The stored data does not answer this.";
            } else {
                // composed in document order: by passage, then where the sentence stands in it
                chosen.sort(Comparator.comparingInt(i -> sentences.get(i).order()));
                StringBuilder sb = new StringBuilder(question == null && task != null ? "Key points: " : "");
                java.util.Set<String> given = new java.util.HashSet<>();
                for (int i : chosen) {
                    Sentence s = sentences.get(i);
                    if (!given.add(normal(s.text()))) {
                        continue; // given already, as the sentence before a chosen one
                    }
                    // "She replaces founder X" says nothing without the sentence that names her
                    String text = s.text();
                    if (referent(s) != null && given.add(normal(referent(s)))) {
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
            int passage = starts.get(p)[0];
            String text = context.substring(starts.get(p)[1], Math.max(starts.get(p)[1], end));
            int before = out.size();
            // a passage whose headings are marked (HtmlText, Markdown, a chunk's heading line) says what is a heading
            boolean marked = MARKED_HEADING.matcher(text).find();
            // line by line first: a heading is a line of its own, not the start of the sentence under it; a code
            // block is not prose: it is given only after the sentence that introduces it ("... use the command:")
            for (Block block : blocks(text)) {
                if (block.code()) {
                    Sentence last = out.size() > before ? out.get(out.size() - 1) : null;
                    if (last != null && last.text().endsWith(":")) {
                        out.set(out.size() - 1, new Sentence(passage, last.order(), last.text() + " "
                                + io.fineas.pipeline.rag.TextExtraction.cut(block.text(), CODE_CHARS), last.previous(),
                                last.head(), last.first(), true));
                    }
                    continue;
                }
                for (String paragraph : joinWrappedLines(block.text(), marked)) {
                    String previous = null;
                    String head = null;
                    String first = null;
                    for (String sentence : SENTENCE_END.split(paragraph)) {
                        String t = sentence.strip();
                        if (t.length() >= 12) {
                            String term = term(t);
                            out.add(new Sentence(passage, out.size(), t, previous, head, first, answerable(t, term)));
                            if (previous == null && term != null) {
                                head = term.strip();
                                first = t;
                            }
                            previous = t;
                        }
                    }
                }
            }
            String whole = text.replaceAll("(?m)^#.*$", "").replace("```", "").replaceAll("\\s+", " ").strip();
            if (out.size() == before && whole.length() >= 12) {
                // a passage that is all heading (a feed title alone, a line of data) is its own sentence
                out.add(new Sentence(passage, out.size(), whole, null, null, null, true));
            }
        }
        return out;
    }

    /** A run of a passage's lines: prose (headings left out), or a fenced code block. */
    private record Block(String text, boolean code) {
    }

    /** The passage's prose and its code blocks, in order; lines opened by # (headings) are left out. */
    static List<Block> blocks(String passage) {
        List<Block> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean code = false;
        for (String line : passage.split("\\R")) {
            String stripped = line.strip();
            if (stripped.startsWith("```")) {
                if (current.length() > 0 || code) {
                    out.add(new Block(current.toString().strip(), code));
                }
                current.setLength(0);
                code = !code;
                continue;
            }
            if (!code && stripped.startsWith("#")) {
                current.append('\n');
                continue;
            }
            current.append(code ? line.strip() + " " : line + "\n");
        }
        if (current.length() > 0) {
            out.add(new Block(current.toString().strip(), code));
        }
        return out;
    }

    /** The sentences, each once: a later one with the same words (another passage, an overlap) is left out. */
    private static List<Sentence> distinct(List<Sentence> sentences) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        List<Sentence> out = new ArrayList<>();
        for (Sentence s : sentences) {
            if (seen.add(normal(s.text()))) {
                out.add(new Sentence(s.passage(), out.size(), s.text(), s.previous(), s.head(), s.first(),
                        s.answerable()));
            }
        }
        return out;
    }

    /**
     * The share of the figures the question writes that a sentence writes too, each whole: "52,000 units" is not
     * "53,000 units", which a word-by-word or embedding comparison hardly tells apart.
     */
    static double figureShare(java.util.Set<String> figures, String sentence) {
        if (figures.isEmpty()) {
            return 0;
        }
        java.util.Set<String> held = figures(sentence);
        return (double) figures.stream().filter(held::contains).count() / figures.size();
    }

    /** The figures a text writes ("52,000", "3.11", "2019", "8192"), each whole, as written. */
    static java.util.Set<String> figures(String text) {
        java.util.Set<String> out = new java.util.HashSet<>();
        Matcher m = FIGURE.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /**
     * The share of the names the question holds (its words of two letters or more that are no common English
     * word: "gc", "subprocess", "bisect_left") that the term a sentence defines holds; 0 when it defines none.
     */
    static double termShare(String question, Sentence s) {
        if (question == null) {
            return 0;
        }
        String term = s.head() != null ? s.head() : term(s.text());
        if (term == null) {
            return 0;
        }
        java.util.Set<String> names = names(question);
        if (names.isEmpty()) {
            return 0;
        }
        java.util.Set<String> termNames = names(term.replaceAll("\\([^)]*\\)", " "));
        return (double) names.stream().filter(termNames::contains).count() / names.size();
    }

    /** The words of two letters or more that are not common English words, lower case, split at - and _ too. */
    static java.util.Set<String> names(String text) {
        java.util.Set<String> out = new java.util.HashSet<>();
        Matcher m = WORD.matcher(text.toLowerCase(java.util.Locale.ROOT));
        while (m.find()) {
            String w = m.group();
            if (w.length() >= 2 && !STOP_WORDS.contains(w) && !COMMON.contains(w)) {
                out.add(stem(w));
            }
        }
        return out;
    }

    /**
     * The term a sentence opens by defining, with the colon or dash after it ("-s, --schema-only: "), or null when it
     * opens no definition (what stands before its colon is a clause, not a term).
     */
    static String term(String sentence) {
        Matcher m = DEFINITION_HEAD.matcher(sentence);
        return m.find() && isTerm(sentence.substring(0, m.end())) ? sentence.substring(0, m.end()) : null;
    }

    /**
     * Whether what stands before a colon names a term ("-s, --schema-only", "shared_buffers (integer)",
     * "class subprocess.CompletedProcess") rather than opening a clause ("PostgreSQL provides several index types:"):
     * a name of code, or a few words without a verb.
     */
    static boolean isTerm(String head) {
        if (IDENTIFIER_MARK.matcher(head).find()) {
            return true;
        }
        List<String> tokens = WORD.matcher(head).results().map(java.util.regex.MatchResult::group).toList();
        return tokens.size() <= 6 && tokens.stream().noneMatch(t -> VERBS.contains(t.toLowerCase(java.util.Locale.ROOT))
                || Character.isLowerCase(t.charAt(0)) && t.length() >= 4 && (t.endsWith("s") || t.endsWith("ed")
                || t.endsWith("ing")));
    }

    /** Whether a "sentence" reads as code: many of its characters are operators and brackets (a cut code block). */
    static boolean codeLike(String sentence) {
        int marks = 0;
        for (int i = 0; i < sentence.length(); i++) {
            if ("=()[]{}<>;$|&*+".indexOf(sentence.charAt(i)) >= 0) {
                marks++;
            }
        }
        return CODE_START.matcher(sentence).find() || marks > 3 && marks * 15 > sentence.length();
    }

    /** A sentence's words, lower case, without punctuation or spacing: two sentences alike in these are the same. */
    static String normal(String text) {
        return text == null ? "" : NOT_WORD.matcher(text.toLowerCase(java.util.Locale.ROOT)).replaceAll("");
    }

    /**
     * Whether a sentence may be an answer: three words or more, not a title (every longer word capitalised: a
     * heading, a table of contents entry) and not a fragment without a verb, unless it is a term with its definition.
     */
    static boolean answerable(String sentence) {
        return answerable(sentence, term(sentence));
    }

    /** @param term the term the sentence opens by defining ({@link #term}), or null */
    private static boolean answerable(String sentence, String term) {
        if (term != null && sentence.length() > term.length()) {
            // a term with its definition: the definition says whether it is a statement (the term may be code)
            String definition = sentence.substring(term.length());
            return definition.strip().split("\\s+").length >= 2 && !codeLike(definition);
        }
        List<String> tokens = new ArrayList<>();
        Matcher w = WORD.matcher(sentence);
        while (w.find()) {
            tokens.add(w.group());
        }
        if (tokens.size() < 3 || TOC_ENTRY.matcher(sentence).find() || codeLike(sentence)) {
            return false;
        }
        boolean lower = false;
        boolean verb = false;
        for (String t : tokens) {
            if (t.length() >= 4 && Character.isLowerCase(t.charAt(0))) {
                lower = true;
            }
            String l = t.toLowerCase(java.util.Locale.ROOT);
            if (VERBS.contains(l) || Character.isLowerCase(t.charAt(0)) && l.length() >= 4
                    && (l.endsWith("s") || l.endsWith("ed") || l.endsWith("ing"))) {
                verb = true;
            }
        }
        return lower && verb;
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
        if (ASKS_IDENTIFIER.matcher(question).find()) {
            kinds.add(AN_IDENTIFIER);
        }
        return kinds;
    }

    private static boolean holdsOne(List<Pattern> kinds, String sentence) {
        return kinds.stream().anyMatch(kind -> kind.matcher(sentence).find());
    }

    /** The sentence, after the one before it when it opens with a pronoun ("She replaces ..." says who). */
    private static String withReferent(Sentence s) {
        if (s.previous() != null && PRONOUN_START.matcher(s.text()).find()) {
            return s.previous() + " " + s.text();
        }
        // "The default is typically 128 megabytes." is said of the term its paragraph defines
        return s.head() != null ? s.head() + " " + s.text() : s.text();
    }

    /**
     * The sentence given before a chosen one, which says what it speaks of: the one before it when it opens with a
     * pronoun, or, in a paragraph defining a term, the paragraph's first sentence (which names the term).
     */
    private static String referent(Sentence s) {
        if (s.previous() != null && PRONOUN_START.matcher(s.text()).find()) {
            return s.previous();
        }
        return s.head() != null ? s.first() : null;
    }

    /**
     * The passage's paragraphs: lines joined until one ends a sentence or a blank line comes; a short line that does
     * not end a sentence and stands alone (a heading) is left out.
     */
    static List<String> joinWrappedLines(String passage) {
        return joinWrappedLines(passage, false);
    }

    /** @param marked whether headings are marked (lines opened by #): then a short line alone is a paragraph */
    static List<String> joinWrappedLines(String passage, boolean marked) {
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
            if (!marked && current.length() == 0 && !endsSentence && blankAfter && line.length() <= 140) {
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
                out.add(stem(w));
            }
        }
        return out;
    }

    /**
     * A word without its commonest English endings ("creating", "creates", "created" and "create" are one word):
     * a light stemmer, enough for the question's words to meet the sentence's.
     */
    static String stem(String w) {
        if (w.length() < 5 || Character.isDigit(w.charAt(0))) {
            return w;
        }
        for (String ending : new String[] {"ing", "ed", "es", "s", "e"}) {
            if (w.endsWith(ending) && w.length() - ending.length() >= 4) {
                return w.substring(0, w.length() - ending.length());
            }
        }
        return w;
    }

    /**
     * Each content word of the question with its weight among the context's sentences: log(1 + n / (1 + sentences
     * holding it)), so a word every sentence holds (the page's subject) weighs little and a rare one much.
     */
    static java.util.Map<String, Double> weights(java.util.Set<String> asked, List<java.util.Set<String>> sentences) {
        java.util.Map<String, Double> out = new java.util.HashMap<>();
        for (String w : asked) {
            long df = sentences.stream().filter(h -> holds(h, w)).count();
            out.put(w, Math.log(1 + (double) sentences.size() / (1 + df)));
        }
        return out;
    }

    /** The weighted share of the question's content words the sentence holds (a word matches its plural). */
    static double wordShare(java.util.Map<String, Double> weight, java.util.Set<String> held) {
        double all = 0;
        double found = 0;
        for (java.util.Map.Entry<String, Double> w : weight.entrySet()) {
            all += w.getValue();
            if (holds(held, w.getKey())) {
                found += w.getValue();
            }
        }
        return all == 0 ? 0 : found / all;
    }

    private static boolean holds(java.util.Set<String> held, String w) {
        return held.contains(w) || held.contains(w + "s") || w.endsWith("s") && held.contains(w.substring(0,
                w.length() - 1));
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
