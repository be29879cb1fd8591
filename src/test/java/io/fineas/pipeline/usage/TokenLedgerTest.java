package io.fineas.pipeline.usage;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.fineas.pipeline.gateway.ApiKeys;
import io.fineas.pipeline.messages.ModelUsage;
import io.fineas.pipeline.support.SharedStores;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The token ledger, its budgets and the paused analyses, on the shared Mongo wire server. */
@ExtendWith(SharedStores.class)
class TokenLedgerTest {

    /** A clock the test moves. */
    private static final class Hands extends Clock {
        volatile Instant now = Instant.parse("2026-11-26T23:59:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private final SharedStores.Catalog catalog = SharedStores.freshCatalog("ledger");
    private final Map<String, Long> budgets = new ConcurrentHashMap<>();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Hands clock = new Hands();
    private final TokenLedger ledger = new TokenLedger(catalog.system().getCollection("token_usage"), () -> budgets,
            () -> meters, clock);
    private final UsageReport report = new UsageReport(catalog.system(), clock);

    private static TokenLedger.Account analysis(String topic, String key) {
        return new TokenLedger.Account(topic, "news", key, "analysis");
    }

    @Test
    void callsAreCountedPerDayTopicSegmentKeyUseAndModelWrittenOncePerFlush() {
        ledger.charge(analysis("finance", "key_a"), "gpt", new ModelUsage(100, 20));
        ledger.charge(analysis("finance", "key_a"), "gpt", new ModelUsage(50, 5));
        ledger.charge(analysis("finance", "key_b"), "gpt", new ModelUsage(7, 3));
        ledger.charge(new TokenLedger.Account(null, null, "key_b", "chat"), "gpt", new ModelUsage(30, 10));
        assertThat(catalog.system().getCollection("token_usage").countDocuments()).isZero();

        ledger.flush();
        ledger.flush();

        List<Document> lines = catalog.system().getCollection("token_usage").find().into(new java.util.ArrayList<>());
        assertThat(lines).hasSize(3);
        Document a = lines.stream().filter(d -> "key_a".equals(d.getString("key_id"))).findFirst().orElseThrow();
        assertThat(a).containsEntry("day", "2026-11-26").containsEntry("topic", "finance")
                .containsEntry("segment", "news").containsEntry("use", "analysis").containsEntry("model", "gpt");
        assertThat(TokenLedger.number(a, "input_tokens")).isEqualTo(150);
        assertThat(TokenLedger.number(a, "output_tokens")).isEqualTo(25);
        assertThat(TokenLedger.number(a, "calls")).isEqualTo(2);
        // the same counts on the Prometheus counters
        assertThat(meters.counter("pipeline.llm.tokens", "topic", "finance", "segment", "news", "use", "analysis",
                "direction", "input").count()).isEqualTo(157.0);

        io.fineas.pipeline.catalog.TopicRegistry.TokensToday today = report.today("finance", null);
        assertThat(today.inputTokens()).isEqualTo(157);
        assertThat(today.outputTokens()).isEqualTo(28);
        assertThat(today.totalTokens()).isEqualTo(185);
        assertThat(today.analysis()).isEqualTo("running");

        // a key that reads finance sees its lines, not another key's questions over every topic
        ApiKeys.Caller reader = new ApiKeys.Caller("key_r", "r", List.of("read:finance"));
        assertThat(report.usage(null, reader).usage()).extracting(UsageReport.Line::keyId)
                .containsExactlyInAnyOrder("key_a", "key_b");
        ApiKeys.Caller asker = new ApiKeys.Caller("key_b", "b", List.of("read:other"));
        assertThat(report.usage("1", asker).usage()).extracting(UsageReport.Line::use).containsExactly("chat");
        assertThatThrownBy(() -> report.usage("32", reader)).hasMessageContaining("days");
    }

    @Test
    void aTopicIsOverBudgetOnceWhatItSpentTodayReachesItUnflushedCallsIncludedUntilTheDayTurns() {
        budgets.put("finance", 100L);
        ledger.flush();
        assertThat(ledger.overBudget("finance")).isFalse();
        ledger.charge(analysis("finance", null), "m", new ModelUsage(60, 30));
        assertThat(ledger.overBudget("finance")).isFalse();
        ledger.charge(analysis("finance", null), "m", new ModelUsage(5, 5));
        // counted before it is written
        assertThat(ledger.overBudget("finance")).isTrue();
        ledger.flush();
        assertThat(ledger.overBudget("finance")).isTrue();
        assertThat(ledger.overBudget("sports")).isFalse();
        assertThat(report.today("finance", 100L).analysis()).isEqualTo("paused");

        // another replica's ledger on the same store knows at its next flush
        TokenLedger replica = new TokenLedger(catalog.system().getCollection("token_usage"), () -> budgets,
                () -> null, clock);
        assertThat(replica.overBudget("finance")).isFalse();
        replica.flush();
        assertThat(replica.overBudget("finance")).isTrue();

        // a larger budget, read at the next flush
        budgets.put("finance", 1000L);
        ledger.flush();
        assertThat(ledger.overBudget("finance")).isFalse();
        budgets.put("finance", 100L);
        ledger.flush();
        // midnight UTC: a new day's budget
        clock.now = Instant.parse("2026-11-27T00:00:01Z");
        assertThat(ledger.overBudget("finance")).isFalse();
        ledger.flush();
        assertThat(ledger.overBudget("finance")).isFalse();
        assertThat(report.today("finance", 100L).totalTokens()).isZero();
    }

    @Test
    void pausedAnalysesWaitForTheirTopicsBudgetAndOneParkedAgainStaysParked() {
        budgets.put("finance", 10L);
        ledger.charge(analysis("finance", null), "m", new ModelUsage(10, 0));
        PausedAnalyses paused = new PausedAnalyses(catalog.system().getCollection(PausedAnalyses.COLLECTION),
                ledger::overBudget);
        ledger.flush();
        paused.park("inference:1", "finance", "{\"v\":1}");
        paused.park("inference:1", "finance", "{\"v\":2}");
        paused.park("inference:2", "finance", "{\"v\":3}");
        paused.park("inference:3", "sports", "{\"v\":4}");
        // a newer capture of the same source replaces the older
        assertThat(paused.count("finance")).isEqualTo(2);
        // finance is over budget: only sports may go
        assertThat(paused.resumable(10)).extracting(PausedAnalyses.Parked::record).containsExactly("{\"v\":4}");

        budgets.remove("finance");
        ledger.flush();
        List<PausedAnalyses.Parked> resumable = paused.resumable(10);
        // sports' record went to the first call already, and is claimed by it
        assertThat(resumable).extracting(PausedAnalyses.Parked::record)
                .containsExactly("{\"v\":2}", "{\"v\":3}");
        // claimed: another replica's timer gets none of them meanwhile (each replica analysed them all before)
        PausedAnalyses otherReplica = new PausedAnalyses(catalog.system().getCollection(PausedAnalyses.COLLECTION),
                ledger::overBudget);
        assertThat(otherReplica.resumable(10)).isEmpty();
        // the first goes through; the second is parked again by the analysis before it is marked resumed
        paused.resumed(resumable.get(0));
        paused.park("inference:2", "finance", "{\"v\":3}");
        paused.resumed(resumable.get(1));
        assertThat(paused.count("finance")).isEqualTo(1);
        assertThat(report.today("finance", null).pausedRecords()).isEqualTo(1);
        // parked again, it is free to be claimed; a claim that lapsed (its replica died) is taken by another
        assertThat(otherReplica.resumable(10)).extracting(PausedAnalyses.Parked::record).containsExactly("{\"v\":3}");
        PausedAnalyses shortClaims = new PausedAnalyses(catalog.system().getCollection(PausedAnalyses.COLLECTION),
                ledger::overBudget, java.time.Duration.ofMillis(1));
        paused.park("inference:9", "finance", "{\"v\":9}");
        assertThat(shortClaims.resumable(10)).extracting(PausedAnalyses.Parked::record).containsExactly("{\"v\":9}");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                otherReplica.resumable(10).size() == 1);
    }
}
