package io.fineas.pipeline.rag.eval;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code java -jar fineas-pipeline.jar evaluate <golden set> [options]}: runs a golden set against a running pipeline
 * (POST /evaluations on its RAG service), prints each retrieval mode's figures, and fails (exit code 1) when the mode
 * it gates on falls below a minimum: a quality gate for a deployment or a CI job after a change of model, chunking or
 * retrieval. Exit code 2: the command or the service could not be used.
 *
 * <pre>
 * --url URL                     the RAG service (default http://localhost:8080, or EVAL_URL)
 * --key KEY                     an admin key (default PIPELINE_ADMIN_KEY)
 * --k N                         recall@k (default 5)
 * --retrieval MODE              the mode the minimums apply to: vector, keyword, hybrid (default hybrid)
 * --min-recall X, --min-mrr X, --min-answers-citing X, --min-answers-holding-fact X
 * --no-answers                  retrieval only (no model calls)
 * </pre>
 */
public final class EvaluateCommand {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> MINIMUMS = Map.of("--min-recall", "recall_at_k", "--min-mrr", "mrr",
            "--min-answers-citing", "answers_citing_a_right_source", "--min-answers-holding-fact",
            "answers_holding_the_fact");

    private EvaluateCommand() {
    }

    /**
     * The exit code: 0 passed, 1 below a minimum, 2 not run. {@code args[0]} is "evaluate"; {@code environment} gives
     * the defaults of --url (EVAL_URL) and --key (PIPELINE_ADMIN_KEY), the caller's environment.
     */
    public static int run(String[] args, Map<String, String> environment, PrintStream out) {
        String url = environment.getOrDefault("EVAL_URL", "http://localhost:8080");
        String key = environment.get("PIPELINE_ADMIN_KEY");
        String set = null;
        int k = 5;
        String gated = "hybrid";
        boolean answers = true;
        Map<String, Double> minimums = new LinkedHashMap<>();
        try {
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--url" -> url = args[++i];
                    case "--key" -> key = args[++i];
                    case "--k" -> k = Integer.parseInt(args[++i]);
                    case "--retrieval" -> gated = args[++i];
                    case "--no-answers" -> answers = false;
                    default -> {
                        if (MINIMUMS.containsKey(a)) {
                            minimums.put(MINIMUMS.get(a), Double.parseDouble(args[++i]));
                        } else if (a.startsWith("--") || set != null) {
                            throw new IllegalArgumentException("unknown argument '" + a + "'");
                        } else {
                            set = a;
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            out.println("evaluate: " + (e instanceof ArrayIndexOutOfBoundsException ? "an option lacks its value"
                    : e.getMessage()));
            return 2;
        }
        if (set == null || key == null || key.isBlank()) {
            out.println("usage: evaluate <golden set> [--url URL] [--key KEY (or PIPELINE_ADMIN_KEY)] [--k N] "
                    + "[--retrieval vector|keyword|hybrid] [--min-recall X] [--min-mrr X] [--min-answers-citing X] "
                    + "[--min-answers-holding-fact X] [--no-answers]");
            return 2;
        }
        JsonNode report;
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(url.replaceAll("/+$", "") + "/evaluations"))
                    .timeout(Duration.ofMinutes(30))
                    .header("Content-Type", "application/json").header("X-API-Key", key)
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("golden_set", set, "k",
                            k, "answers", answers)))).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                out.println("evaluate: " + url + " answered " + response.statusCode() + ": " + response.body());
                return 2;
            }
            report = JSON.readTree(response.body());
        } catch (IOException e) {
            out.println("evaluate: " + url + " cannot be reached: " + e.getMessage());
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 2;
        }
        out.printf("golden set %s on %s, k = %d, %s%n", set, report.path("topic").asText(), k,
                report.path("model").isMissingNode() || report.path("model").isNull() ? "retrieval only"
                        : "answers by " + report.path("model").asText());
        out.println("| retrieval | questions | recall@k | MRR | answers citing | answers holding the fact |");
        out.println("|---|---|---|---|---|---|");
        JsonNode gatedFigures = null;
        for (JsonNode r : report.path("results")) {
            out.printf("| %s | %d | %s | %s | %s | %s |%n", r.path("retrieval").asText(), r.path("questions").asInt(),
                    figure(r, "recall_at_k"), figure(r, "mrr"), figure(r, "answers_citing_a_right_source"),
                    figure(r, "answers_holding_the_fact"));
            if (gated.equals(r.path("retrieval").asText())) {
                gatedFigures = r;
            }
        }
        if (gatedFigures != null) {
            out.println("(" + gated + ") missed at k: " + list(gatedFigures.path("missed"))
                    + "; answers without the fact: " + list(gatedFigures.path("answers_without_the_fact")));
        }
        if (minimums.isEmpty()) {
            return 0;
        }
        if (gatedFigures == null) {
            out.println("evaluate: the service measured no '" + gated + "' retrieval");
            return 2;
        }
        List<String> below = new ArrayList<>();
        for (Map.Entry<String, Double> m : minimums.entrySet()) {
            JsonNode value = gatedFigures.path(m.getKey());
            if (!value.isNumber() || value.asDouble() < m.getValue()) {
                below.add(String.format("%s %s < %s", m.getKey(), value.isNumber() ? figure(gatedFigures, m.getKey())
                        : "(not measured)", m.getValue()));
            }
        }
        if (below.isEmpty()) {
            out.println("quality gate passed (" + gated + ")");
            return 0;
        }
        out.println("quality gate failed (" + gated + "): " + String.join(", ", below));
        return 1;
    }

    private static String list(JsonNode ids) {
        if (!ids.isArray()) {
            return "-";
        }
        List<String> out = new ArrayList<>();
        ids.forEach(id -> out.add(id.asText()));
        return out.isEmpty() ? "none" : String.join(" ", out);
    }

    private static String figure(JsonNode r, String field) {
        return r.path(field).isNumber() ? String.format("%.3f", r.path(field).asDouble()) : "-";
    }
}
