package io.fineas.pipeline.rag.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.rag.Retrieval;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.bson.Document;

/**
 * POST /evaluations {"golden_set", "k"?, "answers"?}: runs a golden set of {@code EVAL_DIR} against the live index in
 * every retrieval mode the store serves, keeps the report in MongoDB ({@code evaluations}) and exposes its figures as
 * Prometheus gauges ({@code pipeline_eval_recall}, {@code pipeline_eval_mrr}, {@code pipeline_eval_answers_citing},
 * {@code pipeline_eval_answers_holding_fact}, tagged by golden set and retrieval), so a regression after a model or
 * chunking change shows and can alert. GET /evaluations: the latest reports.
 */
public final class Evaluations {

    static final int MAX_K = 50;
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Reports(@JsonProperty("evaluations") List<Evaluation.Report> evaluations) {
    }

    private final Evaluation evaluation;
    private final Path folder;
    private final MongoCollection<Document> reports;
    private final Supplier<MeterRegistry> meters;
    private final Map<String, AtomicReference<Double>> gauges = new ConcurrentHashMap<>();

    public Evaluations(Evaluation evaluation, Path folder, MongoCollection<Document> reports,
            Supplier<MeterRegistry> meters) {
        this.evaluation = evaluation;
        this.folder = folder;
        this.reports = reports;
        this.meters = meters;
    }

    /**
     * @param k       how many hits count (default 5)
     * @param answers whether to ask each question as /chat does (default true)
     */
    public synchronized Evaluation.Report run(String goldenSet, Integer kValue, Boolean answers) {
        GoldenSet set = GoldenSet.load(folder, goldenSet);
        int k = kValue == null ? 5 : kValue;
        if (k < 1 || k > MAX_K) {
            throw ApiException.badRequest("'k' must be a whole number from 1 to " + MAX_K);
        }
        Evaluation.Report report = evaluation.run(set, k, List.of(Retrieval.values()), !Boolean.FALSE.equals(answers));
        reports.insertOne(JSON.convertValue(report, Document.class));
        publish(report);
        return report;
    }

    /** The latest reports, newest first. */
    public Reports latest(int limit) {
        List<Evaluation.Report> out = new ArrayList<>();
        for (Document d : reports.find().sort(Sorts.descending("started_at")).limit(limit)) {
            d.remove("_id");
            out.add(JSON.convertValue(d, Evaluation.Report.class));
        }
        return new Reports(out);
    }

    /** At start: the gauges of each golden set's latest report, so they survive a restart. */
    public void publishLatest() {
        Map<String, Evaluation.Report> newest = new java.util.LinkedHashMap<>();
        latest(100).evaluations().forEach(r -> newest.putIfAbsent(r.goldenSet(), r));
        newest.values().forEach(this::publish);
    }

    private void publish(Evaluation.Report report) {
        MeterRegistry registry = meters.get();
        if (registry == null) {
            return;
        }
        for (Evaluation.Figures f : report.results()) {
            gauge(registry, "pipeline.eval.recall", report.goldenSet(), f, f.recallAtK());
            gauge(registry, "pipeline.eval.mrr", report.goldenSet(), f, f.mrr());
            if (f.answersCiting() != null) {
                gauge(registry, "pipeline.eval.answers.citing", report.goldenSet(), f, f.answersCiting());
                gauge(registry, "pipeline.eval.answers.holding.fact", report.goldenSet(), f, f.answersHoldingFact());
            }
        }
    }

    private void gauge(MeterRegistry registry, String name, String goldenSet, Evaluation.Figures f, double value) {
        String key = name + "|" + goldenSet + "|" + f.retrieval() + "|" + f.k();
        gauges.computeIfAbsent(key, k -> {
            AtomicReference<Double> holder = new AtomicReference<>(value);
            Gauge.builder(name, holder, AtomicReference::get).tag("golden_set", goldenSet)
                    .tag("retrieval", f.retrieval()).tag("k", String.valueOf(f.k())).register(registry);
            return holder;
        }).set(value);
    }

}
