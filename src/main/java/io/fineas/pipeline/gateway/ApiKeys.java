package io.fineas.pipeline.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.util.ApiException;
import io.fineas.pipeline.util.Hashes;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API keys: stored only as SHA-256 hashes, compared in constant time, never logged or published.
 * Scopes: "admin" (everything), "write:TOPIC" (write and read that topic), "read:TOPIC"; TOPIC may be "*".
 */
public final class ApiKeys {

    private static final Logger LOG = LoggerFactory.getLogger(ApiKeys.class);
    private static final Pattern SCOPE = Pattern.compile("^(admin|(read|write):(\\*|[a-z][a-z0-9_-]{0,99}))$");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PREFIX = "fpk_";

    private final MongoCollection<Document> keys;

    private final java.util.function.Predicate<String> topicExists;

    /** @param topicExists whether a topic exists: a scope names an existing topic or '*' */
    public ApiKeys(MongoCollection<Document> keys, java.util.function.Predicate<String> topicExists) {
        this.keys = keys;
        this.topicExists = topicExists;
        keys.createIndex(Indexes.ascending("hash"), new IndexOptions().unique(true));
    }

    /** The caller behind a request, resolved from a valid, unrevoked key. */
    public record Caller(String id, String name, List<String> scopes) {

        public boolean isAdmin() {
            return scopes.contains("admin");
        }

        /** @param topic a topic, or null for every topic (which needs {@code write:*}) */
        public boolean canWrite(String topic) {
            return isAdmin() || scopes.contains("write:*") || topic != null && scopes.contains("write:" + topic);
        }

        /** @param topic a topic, or null for every topic (which needs {@code read:*} or {@code write:*}) */
        public boolean canRead(String topic) {
            return canWrite(topic) || scopes.contains("read:*") || topic != null && scopes.contains("read:" + topic);
        }
    }

    public void requireAdmin(Caller caller) {
        if (!caller.isAdmin()) {
            throw ApiException.forbidden("this API key is not an admin key");
        }
    }

    public void requireWrite(Caller caller, String topic) {
        if (!caller.canWrite(topic)) {
            throw ApiException.forbidden("this API key may not write topic '" + topic + "'");
        }
    }

    public void requireRead(Caller caller, String topic) {
        if (!caller.canRead(topic)) {
            throw ApiException.forbidden(topic == null ? "this API key may not read every topic (read:* is needed)"
                    : "this API key may not read topic '" + topic + "'");
        }
    }

    /**
     * Resolves the caller from the body's api_key field or the X-API-Key header. A missing key, a key of the
     * wrong type or an unknown or revoked key answers 401.
     */
    public Caller authenticate(Object bodyKey, Object headerKey) {
        Object given = bodyKey != null ? bodyKey : headerKey;
        if (given == null || (given instanceof String s && s.isEmpty())) {
            throw ApiException.unauthorized("an API key is required: the 'api_key' field or the X-API-Key header");
        }
        if (!(given instanceof String key)) {
            throw ApiException.unauthorized("the API key must be a string");
        }
        String hash = hash(key);
        Document doc = keys.find(Filters.eq("hash", hash)).first();
        if (doc == null || doc.get("revoked_at") != null
                || !MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
                        doc.getString("hash").getBytes(StandardCharsets.US_ASCII))) {
            throw ApiException.unauthorized("the API key is not valid");
        }
        return new Caller(doc.getString("_id"), doc.getString("name"), doc.getList("scopes", String.class));
    }

    /** Creates a key; the plain key is in the answer once and nowhere else. */
    public Map<String, Object> create(Map<String, Object> request) {
        Object name = request.get("name");
        if (!(name instanceof String n) || n.isBlank() || n.length() > 100) {
            throw ApiException.badRequest("'name' is required: a non-empty string of at most 100 characters");
        }
        Object scopesValue = request.get("scopes");
        if (!(scopesValue instanceof List<?> list) || list.isEmpty()) {
            throw ApiException.badRequest("'scopes' is required: a non-empty array such as [\"write:news\", \"read:*\"]"
                    + " or [\"admin\"]");
        }
        List<String> scopes = new ArrayList<>();
        for (Object s : list) {
            if (!(s instanceof String scope) || !SCOPE.matcher(scope).matches()) {
                throw ApiException.badRequest("scope " + s + " is not valid: use \"admin\", \"write:TOPIC\", "
                        + "\"read:TOPIC\" (TOPIC may be *)");
            }
            int colon = scope.indexOf(':');
            String topic = colon < 0 ? null : scope.substring(colon + 1);
            if (topic != null && !"*".equals(topic) && !topicExists.test(topic)) {
                throw ApiException.badRequest("scope " + scope + " names no topic: '" + topic + "' does not exist "
                        + "(create it first, or use *)");
            }
            scopes.add(scope);
        }
        String id = "key_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        String key = newKey();
        keys.insertOne(new Document("_id", id).append("name", n).append("hash", hash(key)).append("scopes", scopes)
                .append("created_at", Instant.now().toString()));
        Map<String, Object> answer = describe(id, n, scopes);
        answer.put("api_key", key);
        return answer;
    }

    public Map<String, Object> revoke(String id) {
        var result = keys.updateOne(Filters.and(Filters.eq("_id", id), Filters.eq("revoked_at", null)),
                Updates.set("revoked_at", Instant.now().toString()));
        if (result.getMatchedCount() == 0) {
            throw ApiException.notFound("no active API key with id '" + id + "'");
        }
        return Map.of("id", id, "revoked", true);
    }

    public Map<String, Object> list() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Document d : keys.find(Filters.eq("revoked_at", null))) {
            out.add(describe(d.getString("_id"), d.getString("name"), d.getList("scopes", String.class)));
        }
        return Map.of("keys", out);
    }

    /**
     * Makes sure an admin key exists: the configured one (PIPELINE_ADMIN_KEY) replaces the stored configured key;
     * without one, a start that finds no active admin key (the first start, or every admin key revoked) generates one
     * and prints it once; a revoked key stays revoked.
     */
    public void ensureAdminKey(String configuredKey) {
        if (configuredKey != null && !configuredKey.isBlank()) {
            keys.replaceOne(Filters.eq("_id", "admin"), new Document("_id", "admin").append("name", "admin (configured)")
                    .append("hash", hash(configuredKey)).append("scopes", List.of("admin"))
                    .append("created_at", Instant.now().toString()), new ReplaceOptions().upsert(true));
            LOG.info("Admin API key taken from PIPELINE_ADMIN_KEY");
            return;
        }
        if (keys.find(Filters.and(Filters.eq("scopes", "admin"), Filters.eq("revoked_at", null))).first() != null) {
            LOG.info("Admin API key already provisioned (set PIPELINE_ADMIN_KEY to replace it)");
            return;
        }
        String key = newKey();
        // "admin" is taken by an admin key revoked since (its record stays, revoked): the new one gets an id of its own
        String id = keys.find(Filters.eq("_id", "admin")).first() == null ? "admin"
                : "admin-" + Hashes.sha256Hex(key).substring(0, 12);
        keys.insertOne(new Document("_id", id).append("name", "admin (generated)").append("hash", hash(key))
                .append("scopes", List.of("admin")).append("created_at", Instant.now().toString()));
        String banner = "\n==========================================================================\n"
                + " Generated admin API key (shown once, stored only as a hash):\n"
                + "   PIPELINE_ADMIN_KEY=" + key + "\n"
                + " Keep it; set PIPELINE_ADMIN_KEY yourself to choose the key instead.\n"
                + "==========================================================================";
        System.out.println(banner);
    }

    private static Map<String, Object> describe(String id, String name, List<String> scopes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("name", name);
        m.put("scopes", scopes);
        return m;
    }

    private static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String hash(String key) {
        return Hashes.sha256Hex(key);
    }
}
