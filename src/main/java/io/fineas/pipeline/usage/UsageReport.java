package io.fineas.pipeline.usage;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;
import io.fineas.pipeline.catalog.TopicRegistry;
import io.fineas.pipeline.common.QueryParameters;
import io.fineas.pipeline.messages.ModelUsage;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * What the gateway shows of the model's token use, from what the RAG services wrote ({@link TokenLedger},
 * {@link PausedAnalyses}): a topic's tokens today against its budget (GET /topics), and the use per day, topic,
 * segment, key, use and model (GET /usage).
 */
public final class UsageReport {

    /** The most days GET /usage goes back. */
    public static final int MAX_DAYS = 31;

    /** One line of GET /usage: a day's calls for one topic, segment, key, use (analysis, chat) and model. */
    public record Line(
            @JsonProperty("day") String day,
            @JsonProperty("topic") String topic,
            @JsonProperty("segment") String segment,
            @JsonProperty("key_id") String keyId,
            @JsonProperty("use") String use,
            @JsonProperty("model") String model,
            @JsonProperty("calls") long calls,
            @JsonProperty("input_tokens") long inputTokens,
            @JsonProperty("output_tokens") long outputTokens) {
    }

    /** Who asks for the usage (an API key, as the gateway knows it). */
    public interface Viewer {
        String id();

        boolean isAdmin();

        boolean canRead(String topic);
    }

    public record Usage(@JsonProperty("since") String since, @JsonProperty("usage") List<Line> usage) {
    }

    private final MongoCollection<Document> usage;
    private final MongoCollection<Document> paused;
    private final Clock clock;

    public UsageReport(MongoDatabase system, Clock clock) {
        this.usage = system.getCollection("token_usage");
        this.paused = system.getCollection(PausedAnalyses.COLLECTION);
        this.clock = clock;
    }

    /** The topics with their tokens today (GET /topics): today's usage is read once for all of them. */
    public TopicRegistry.Topics withTokens(TopicRegistry.Topics topics) {
        Map<String, ModelUsage> today = TokenLedger.spentOn(usage, TokenLedger.day(clock));
        return new TopicRegistry.Topics(topics.topics().stream().map(t -> withTokens(t, today)).toList());
    }

    public TopicRegistry.Topic withTokens(TopicRegistry.Topic topic) {
        return topic.withTokens(today(topic.topic(), topic.tokenBudgetPerDay()));
    }

    private TopicRegistry.Topic withTokens(TopicRegistry.Topic topic, Map<String, ModelUsage> today) {
        return topic.withTokens(today(topic.topic(), topic.tokenBudgetPerDay(), today));
    }

    /** A topic's tokens today against its budget, and its records waiting for it. */
    public TopicRegistry.TokensToday today(String topic, Long budgetPerDay) {
        return today(topic, budgetPerDay, TokenLedger.spentOn(usage, TokenLedger.day(clock)));
    }

    private TopicRegistry.TokensToday today(String topic, Long budgetPerDay, Map<String, ModelUsage> today) {
        ModelUsage used = today.getOrDefault(topic, ModelUsage.NONE);
        return new TopicRegistry.TokensToday(used.inputTokens(), used.outputTokens(), used.total(), budgetPerDay,
                TokenLedger.spent(budgetPerDay, used.total()) ? "paused" : "running",
                paused.countDocuments(Filters.eq("topic", topic)));
    }

    /**
     * The last {@code days} days (today included), newest first: the lines of the topics the key may read, and of
     * questions it asked over every topic.
     */
    public Usage usage(@Header("days") Object days, @Variable("caller") Viewer caller) {
        int n = QueryParameters.wholeNumber("days", days, 7, MAX_DAYS);
        String since = LocalDate.now(clock.withZone(ZoneOffset.UTC)).minusDays(n - 1L).toString();
        List<Line> lines = new ArrayList<>();
        for (Document d : usage.find(Filters.gte("day", since)).sort(Sorts.orderBy(Sorts.descending("day"),
                Sorts.ascending("_id")))) {
            String topic = d.getString("topic");
            boolean visible = topic != null ? caller.canRead(topic)
                    : caller.isAdmin() || caller.id().equals(d.getString("key_id"));
            if (visible) {
                lines.add(new Line(d.getString("day"), topic, d.getString("segment"), d.getString("key_id"),
                        d.getString("use"), d.getString("model"), TokenLedger.number(d, "calls"),
                        TokenLedger.number(d, "input_tokens"), TokenLedger.number(d, "output_tokens")));
            }
        }
        return new Usage(since, lines);
    }
}
