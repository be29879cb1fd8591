package io.fineas.pipeline.gateway;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.Hashes;
import io.fineas.pipeline.messages.Alert;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.apache.camel.Variable;
import org.bson.Document;

/**
 * {@code POST /collect} with an {@code Idempotency-Key} header: the same key of the same caller within the window
 * (24 h) answers the first request's runs and publishes nothing more. The alerts are written down (MongoDB
 * {@code collect_requests}, by caller and key) before any is published, and marked published once Kafka acknowledged
 * them all: a repeat after a lost answer finds them published and answers them; a repeat after a partial publish (a
 * crash, a broker fault half way) publishes the same alerts again, with the same run ids, which processors and the
 * run records take once. The same key with another request is refused (422). The scheduler sends one per entry and
 * slot, so an entry is never fired twice for one slot.
 */
public final class IdempotentCollects {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[\\x21-\\x7e]{1,200}");

    /** The alerts a request publishes, and whether they were all published before (then nothing is sent). */
    public record Claim(String id, List<Alert> alerts, boolean published) {
    }

    private final MongoCollection<Document> requests;
    private final Duration window;

    public IdempotentCollects(MongoCollection<Document> requests, Duration window) {
        this.requests = requests;
        this.window = window;
        // a claim is read only within the window: MongoDB removes it a day after (the embedded server keeps it)
        requests.createIndex(com.mongodb.client.model.Indexes.ascending("created_at"),
                new com.mongodb.client.model.IndexOptions().expireAfter(window.plusDays(1).toSeconds(),
                        java.util.concurrent.TimeUnit.SECONDS));
    }

    /**
     * @param key     the request's Idempotency-Key, or null (then the fresh alerts, and nothing is written down)
     * @param entries the checked request body, whose entries (without their api_key) must match a repeat's
     */
    public Claim claim(@Header("Idempotency-Key") String key, @Variable("caller") ApiKeys.Caller caller,
            @Body List<Map<String, Object>> entries, @Variable("alerts") List<Alert> fresh) {
        if (key == null) {
            return new Claim(null, fresh, false);
        }
        if (!KEY.matcher(key).matches()) {
            throw ApiException.badRequest("Idempotency-Key must be 1 to 200 visible ASCII characters");
        }
        String id = caller.id() + ":" + Hashes.sha256Hex(key);
        String request = fingerprint(entries);
        Document claim = new Document("_id", id).append("request", request).append("alerts", documents(fresh))
                .append("published", false).append("created_at", new Date());
        try {
            requests.insertOne(claim);
            return new Claim(id, fresh, false);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
        Document first = requests.find(Filters.eq("_id", id)).first();
        if (first == null || first.getDate("created_at").toInstant().isBefore(Instant.now().minus(window))) {
            // the window has passed (or the claim expired meanwhile): this is a new request
            requests.replaceOne(Filters.eq("_id", id), claim, new com.mongodb.client.model.ReplaceOptions().upsert(true));
            return new Claim(id, fresh, false);
        }
        if (!request.equals(first.getString("request"))) {
            throw new ApiException(422, "idempotency_key_reused", "this Idempotency-Key was used for another "
                    + "request in the last " + window.toHours() + " hours");
        }
        List<Alert> alerts = new ArrayList<>();
        for (Document a : first.getList("alerts", Document.class)) {
            alerts.add(Alert.parse(a.toJson()));
        }
        return new Claim(id, alerts, Boolean.TRUE.equals(first.getBoolean("published")));
    }

    /** Kafka acknowledged every alert of the claim: a repeat publishes nothing. */
    public void published(@Variable("claim") Claim claim) {
        if (claim.id() != null && !claim.published()) {
            requests.updateOne(Filters.eq("_id", claim.id()), Updates.set("published", true));
        }
    }

    private static String fingerprint(List<Map<String, Object>> entries) {
        List<Map<String, Object>> withoutKeys = new ArrayList<>();
        for (Map<String, Object> e : entries) {
            Map<String, Object> copy = new java.util.TreeMap<>(e);
            copy.remove("api_key");
            withoutKeys.add(copy);
        }
        try {
            return Hashes.sha256Hex(JSON.writeValueAsString(withoutKeys));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Document> documents(List<Alert> alerts) {
        List<Document> out = new ArrayList<>();
        for (Alert a : alerts) {
            try {
                out.add(Document.parse(JSON.writeValueAsString(a)));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }
}
