package io.fineas.pipeline.usage;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import io.fineas.pipeline.messages.ModelUsage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.bson.Document;

/**
 * The tokens every model call took, charged to the topic, segment and key it was made for and kept per UTC day in
 * MongoDB ({@code token_usage}: one document per day, topic, segment, key, use and model, whose counts grow), with
 * Prometheus counters ({@code pipeline_llm_tokens_total}). Calls are counted in memory and written every
 * {@code pipeline.usage.flush-ms} ({@link #flush}), so a model call never waits on a write; a crash loses at most
 * that interval's counts.
 *
 * <p>A topic may have a budget of tokens per day ({@code PUT /topics/{topic}/budget}): once what it spent today (every
 * replica's written counts, read at each flush, plus this one's unwritten ones) reaches it, {@link #overBudget} says
 * so and its analyses wait ({@link PausedAnalyses}). The budget is soft: calls under way when it is reached finish.
 */
public final class TokenLedger {

    /** Who a model call is charged to: a topic and segment (null for a question over every topic), a key, a use. */
    public record Account(String topic, String segment, String keyId, String use) {
    }

    private record Line(String day, Account account, String model) {
        String id() {
            return String.join("|", day, text(account.topic()), text(account.segment()), text(account.keyId()),
                    account.use(), model);
        }
    }

    private record Count(long input, long output, long calls) {
        Count plus(Count other) {
            return new Count(input + other.input, output + other.output, calls + other.calls);
        }
    }

    /** What every replica spent today per topic, as of the last flush, and the topics' budgets. */
    private record Spent(String day, Map<String, Long> perTopic, Map<String, Long> budgets) {
    }

    private final Map<Line, Count> pending = new ConcurrentHashMap<>();
    private final MongoCollection<Document> usage;
    private final Supplier<Map<String, Long>> budgets;
    private final Supplier<MeterRegistry> meters;
    private final Clock clock;
    private volatile Spent spent = new Spent("", Map.of(), Map.of());

    /**
     * @param usage   the {@code token_usage} collection
     * @param budgets the topics' budgets (tokens per day), read at each flush
     * @param meters  the meter registry, or null before there is one
     */
    public TokenLedger(MongoCollection<Document> usage, Supplier<Map<String, Long>> budgets,
            Supplier<MeterRegistry> meters, Clock clock) {
        this.usage = usage;
        this.budgets = budgets;
        this.meters = meters;
        this.clock = clock;
        usage.createIndex(Indexes.ascending("day", "topic"));
    }

    public static String day(Clock clock) {
        return LocalDate.now(clock.withZone(ZoneOffset.UTC)).toString();
    }

    /** Counts one model call (one that failed reported nothing and costs nothing here). */
    public void charge(Account account, String model, ModelUsage used) {
        pending.merge(new Line(day(clock), account, model), new Count(used.inputTokens(), used.outputTokens(), 1),
                Count::plus);
        MeterRegistry registry = meters.get();
        if (registry != null) {
            counter(registry, account, "input").increment(used.inputTokens());
            counter(registry, account, "output").increment(used.outputTokens());
        }
    }

    private static Counter counter(MeterRegistry registry, Account account, String direction) {
        return Counter.builder("pipeline.llm.tokens").description("Tokens taken by model calls")
                .tag("topic", text(account.topic())).tag("segment", text(account.segment())).tag("use", account.use())
                .tag("direction", direction).register(registry);
    }

    /**
     * Writes the counts of the calls since the last flush (one bulk write; on failure they stay for the next one), then
     * reads what every replica spent today and the budgets.
     */
    public synchronized void flush() {
        Map<Line, Count> drained = new LinkedHashMap<>();
        for (Line line : pending.keySet()) {
            Count c = pending.remove(line);
            if (c != null) {
                drained.put(line, c);
            }
        }
        if (!drained.isEmpty()) {
            List<WriteModel<Document>> writes = new ArrayList<>();
            drained.forEach((line, c) -> writes.add(new UpdateOneModel<>(Filters.eq("_id", line.id()),
                    Updates.combine(Updates.setOnInsert("day", line.day()),
                            Updates.setOnInsert("topic", line.account().topic()),
                            Updates.setOnInsert("segment", line.account().segment()),
                            Updates.setOnInsert("key_id", line.account().keyId()),
                            Updates.setOnInsert("use", line.account().use()),
                            Updates.setOnInsert("model", line.model()),
                            Updates.inc("input_tokens", c.input()), Updates.inc("output_tokens", c.output()),
                            Updates.inc("calls", c.calls())),
                    new UpdateOptions().upsert(true))));
            try {
                usage.bulkWrite(writes, new BulkWriteOptions().ordered(false));
            } catch (RuntimeException e) {
                drained.forEach((line, c) -> pending.merge(line, c, Count::plus));
                throw e;
            }
        }
        String today = day(clock);
        Map<String, Long> perTopic = new HashMap<>();
        spentOn(usage, today).forEach((topic, tokens) -> perTopic.put(topic, tokens.total()));
        spent = new Spent(today, perTopic, Map.copyOf(budgets.get()));
        MeterRegistry registry = meters.get();
        if (registry != null) {
            Map<String, Double> used = new HashMap<>();
            spent.budgets().forEach((topic, budget) -> used.put(topic, budget <= 0 ? 1.0
                    : perTopic.getOrDefault(topic, 0L) / (double) budget));
            io.fineas.pipeline.infra.OperationalMetrics.tokenBudgets(registry, used);
        }
    }

    /** What every replica wrote for the day (UTC), per topic: questions over every topic have none and are left out. */
    public static Map<String, ModelUsage> spentOn(MongoCollection<Document> usage, String day) {
        Map<String, ModelUsage> out = new HashMap<>();
        for (Document d : usage.find(Filters.eq("day", day))) {
            if (d.getString("topic") != null) {
                out.merge(d.getString("topic"), new ModelUsage(number(d, "input_tokens"), number(d, "output_tokens")),
                        (a, b) -> new ModelUsage(a.inputTokens() + b.inputTokens(), a.outputTokens() + b.outputTokens()));
            }
        }
        return out;
    }

    /** Whether tokens used reach a budget (none: never). */
    public static boolean spent(Long budget, long used) {
        return budget != null && used >= budget;
    }

    /** Whether the topic has a budget and spent it today. */
    public boolean overBudget(String topic) {
        Spent s = spent;
        Long budget = s.budgets().get(topic);
        if (budget == null) {
            return false;
        }
        String today = day(clock);
        long used = today.equals(s.day()) ? s.perTopic().getOrDefault(topic, 0L) : 0L;
        for (Map.Entry<Line, Count> e : pending.entrySet()) {
            if (today.equals(e.getKey().day()) && topic.equals(e.getKey().account().topic())) {
                used += e.getValue().input() + e.getValue().output();
            }
        }
        return spent(budget, used);
    }

    static long number(Document d, String field) {
        Object v = d.get(field);
        return v instanceof Number n ? n.longValue() : 0L;
    }

    private static String text(String s) {
        return s == null ? "" : s;
    }
}
