package io.fineas.pipeline.rag.eval;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import io.fineas.pipeline.messages.ChatQuestion;
import io.fineas.pipeline.messages.ChatReply;
import io.fineas.pipeline.rag.Retrieval;
import io.fineas.pipeline.rag.SearchHit;
import io.fineas.pipeline.rag.SemanticSearch;
import io.fineas.pipeline.rag.llm.ChatService;

/**
 * Measures a golden set against the live index: for each retrieval mode, whether a right source is among the first
 * k hits of each question (recall@k) and how high the first one is (mean reciprocal rank); and, asked as /chat asks
 * it (same retrieval, prompt and model), whether the answer cites a right source and holds the expected fact.
 */
public final class Evaluation {

    private static final Pattern CITATION = Pattern.compile("\\[(\\d+)]");

    /** The figures of one retrieval mode over the golden set. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Figures(
            @JsonProperty("retrieval") String retrieval,
            @JsonProperty("k") int k,
            @JsonProperty("questions") int questions,
            @JsonProperty("recall_at_k") double recallAtK,
            @JsonProperty("mrr") double mrr,
            @JsonProperty("answers_citing_a_right_source") Double answersCiting,
            @JsonProperty("answers_holding_the_fact") Double answersHoldingFact,
            @JsonProperty("missed") List<String> missed,
            @JsonProperty("answers_without_the_fact") List<String> answersWithoutFact,
            @JsonProperty("by_kind") Map<String, KindFigures> byKind) {
    }

    /** The retrieval figures of the questions of one kind (when the golden set labels its questions). */
    public record KindFigures(
            @JsonProperty("questions") int questions,
            @JsonProperty("recall_at_k") double recallAtK,
            @JsonProperty("mrr") double mrr) {
    }

    /** One evaluation run: when, over what, and the figures of each mode. */
    public record Report(
            @JsonProperty("golden_set") String goldenSet,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("model") String model,
            @JsonProperty("started_at") String startedAt,
            @JsonProperty("duration_ms") long durationMs,
            @JsonProperty("results") List<Figures> results) {
    }

    private final SemanticSearch search;
    private final ChatService chat;
    private final ChatModel model;
    private final String modelName;

    public Evaluation(SemanticSearch search, ChatService chat, ChatModel model, String modelName) {
        this.search = search;
        this.chat = chat;
        this.model = model;
        this.modelName = modelName;
    }

    /**
     * @param modes   the retrieval modes to measure (those the store cannot serve are left out)
     * @param answers whether to ask each question as /chat does (one model call per question and mode)
     */
    public Report run(GoldenSet set, int k, List<Retrieval> modes, boolean answers) {
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        List<Figures> results = new ArrayList<>();
        for (Retrieval mode : modes) {
            if (search.retrieval(mode.label()) != mode) {
                continue;
            }
            double found = 0;
            double reciprocalRanks = 0;
            int citing = 0;
            int holding = 0;
            List<String> missed = new ArrayList<>();
            List<String> withoutFact = new ArrayList<>();
            // per kind: questions, found, sum of reciprocal ranks
            Map<String, double[]> kinds = new TreeMap<>();
            for (GoldenSet.Question q : set.questions()) {
                Set<String> right = new HashSet<>(q.sources());
                List<SearchHit> hits = search.hits(q.question(), set.topic(), set.segment(), k, mode);
                int rank = rankOfFirstRight(hits, right);
                double[] kind = q.kind() == null ? new double[3] : kinds.computeIfAbsent(q.kind(), x -> new double[3]);
                kind[0]++;
                if (rank > 0) {
                    found++;
                    reciprocalRanks += 1.0 / rank;
                    kind[1]++;
                    kind[2] += 1.0 / rank;
                } else {
                    missed.add(q.id());
                }
                if (answers) {
                    ChatService.Turn turn = chat.prepare(new ChatQuestion("eval-" + q.id(), q.question(), set.topic(),
                            set.segment(), null, mode.label(), null));
                    String answer = model.chat(ChatRequest.builder().messages(turn.getMessages()).build())
                            .aiMessage().text();
                    ChatReply reply = chat.reply(turn, answer);
                    if (citesARightSource(reply, right)) {
                        citing++;
                    }
                    if (q.fact() != null && answer != null
                            && answer.toLowerCase(Locale.ROOT).contains(q.fact().toLowerCase(Locale.ROOT))) {
                        holding++;
                    } else {
                        withoutFact.add(q.id());
                    }
                }
            }
            int n = set.questions().size();
            Map<String, KindFigures> byKind = new TreeMap<>();
            kinds.forEach((name, f) -> byKind.put(name, new KindFigures((int) f[0], f[1] / f[0], f[2] / f[0])));
            results.add(new Figures(mode.label(), k, n, found / n, reciprocalRanks / n,
                    answers ? (double) citing / n : null, answers ? (double) holding / n : null, missed,
                    answers ? withoutFact : null, byKind.isEmpty() ? null : byKind));
        }
        return new Report(set.name(), set.topic(), set.segment(), answers ? modelName : null, started.toString(),
                (System.nanoTime() - t0) / 1_000_000, results);
    }

    /** The rank (from 1) of the first hit from a right source; 0 when none is among the hits. */
    static int rankOfFirstRight(List<SearchHit> hits, Set<String> right) {
        for (int i = 0; i < hits.size(); i++) {
            if (isRight(right, String.valueOf(hits.get(i).metadata().get("source")))) {
                return i + 1;
            }
        }
        return 0;
    }

    /**
     * Whether a source id is one of the right ones: the same id, or, for a right source written as a path
     * ("postgresql/limits.html"), a captured URL whose decoded path ends with it (a site served from wherever it is).
     */
    static boolean isRight(Set<String> right, String source) {
        if (source == null) {
            return false;
        }
        if (right.contains(source)) {
            return true;
        }
        if (!source.startsWith("http://") && !source.startsWith("https://")) {
            return false;
        }
        String path;
        try {
            path = java.net.URLDecoder.decode(java.net.URI.create(source).getRawPath(),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            return false;
        }
        for (String r : right) {
            if (!r.contains("://") && path.endsWith("/" + (r.startsWith("/") ? r.substring(1) : r))) {
                return true;
            }
        }
        return false;
    }

    /** Whether one of the answer's citations [n] names a passage from a right source. */
    static boolean citesARightSource(ChatReply reply, Set<String> right) {
        if (reply.answer() == null || reply.sources() == null) {
            return false;
        }
        Matcher m = CITATION.matcher(reply.answer());
        while (m.find()) {
            int n = Integer.parseInt(m.group(1));
            if (n >= 1 && n <= reply.sources().size() && isRight(right, reply.sources().get(n - 1).source())) {
                return true;
            }
        }
        return false;
    }
}
