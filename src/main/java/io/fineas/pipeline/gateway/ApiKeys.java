package io.fineas.pipeline.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Updates;
import io.fineas.pipeline.common.ApiException;
import io.fineas.pipeline.common.Hashes;
import org.apache.camel.Header;
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

    static final int MAX_KEY_LENGTH = 200;
    static final int MIN_ADMIN_KEY_LENGTH = 32;
    static final double MIN_ADMIN_KEY_BITS = 128;
    static final int MAX_SCOPES = 50;
    private static final String CONFIGURED = "admin (configured)";
    private static final int MAX_CACHED = 10_000;

    private record Cached(Caller caller, long until) {
    }

    private final MongoCollection<Document> keys;
    private final Map<String, Cached> recent = new java.util.concurrent.ConcurrentHashMap<>();
    private final long cacheNanos;

    private final java.util.function.Predicate<String> topicExists;

    /** @param topicExists whether a topic exists: a scope names an existing topic or '*' */
    public ApiKeys(MongoCollection<Document> keys, java.util.function.Predicate<String> topicExists) {
        this(keys, topicExists, java.time.Duration.ofSeconds(5));
    }

    /** @param cacheFor how long a valid key is remembered without a lookup (revocation on another gateway: at most this) */
    public ApiKeys(MongoCollection<Document> keys, java.util.function.Predicate<String> topicExists,
            java.time.Duration cacheFor) {
        this.keys = keys;
        this.cacheNanos = cacheFor.toNanos();
        this.topicExists = topicExists;
        keys.createIndex(Indexes.ascending("hash"), new IndexOptions().unique(true));
    }

    /** The caller behind a request, resolved from a valid, unrevoked key; as a predicate, the topics it may read. */
    public record Caller(String id, String name, List<String> scopes) implements java.util.function.Predicate<String>,
            io.fineas.pipeline.usage.UsageReport.Viewer {

        @Override
        public boolean test(String topic) {
            return canRead(topic);
        }

        public boolean isAdmin() {
            return scopes.contains("admin");
        }

        /** @param topic a topic, or null for every topic (which needs {@code write:*}) */
        public boolean canWrite(String topic) {
            return isAdmin() || scopes.contains("write:*") || topic != null && scopes.contains("write:" + topic);
        }

        /** The topics its read: and write: scopes name ({@code *} among them when it names every topic). */
        public List<String> namedTopics() {
            return scopes.stream().filter(s -> s.startsWith("read:") || s.startsWith("write:"))
                    .map(s -> s.substring(s.indexOf(':') + 1)).toList();
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
     * Resolves the caller from the key as sent, byte for byte (no unquoting, no "null": the caller reads it from the
     * body's api_key field or the X-API-Key header, never the query string). A missing key, a key that is not one
     * string, and an unknown or revoked key answer 401. A valid key is remembered for a few seconds (the lookup is on
     * every request); revoking a key forgets it at once on this instance.
     */
    public Caller authenticate(Object given) {
        if (given == null || (given instanceof String s && s.isEmpty())) {
            throw ApiException.unauthorized("an API key is required: the 'api_key' field or the X-API-Key header");
        }
        if (!(given instanceof String key) || key.length() > MAX_KEY_LENGTH) {
            throw ApiException.unauthorized("the API key is not valid");
        }
        String hash = hash(key);
        Cached cached = recent.get(hash);
        if (cached != null && cached.until > System.nanoTime()) {
            return cached.caller;
        }
        Document doc = keys.find(Filters.eq("hash", hash)).first();
        if (doc == null || doc.get("revoked_at") != null
                || !MessageDigest.isEqual(hash.getBytes(StandardCharsets.US_ASCII),
                        doc.getString("hash").getBytes(StandardCharsets.US_ASCII))) {
            recent.remove(hash);
            throw ApiException.unauthorized("the API key is not valid");
        }
        Caller caller = new Caller(doc.getString("_id"), doc.getString("name"), doc.getList("scopes", String.class));
        if (recent.size() > MAX_CACHED) {
            recent.clear();
        }
        recent.put(hash, new Cached(caller, System.nanoTime() + cacheNanos));
        return caller;
    }

    /** A key as the API shows it: never its hash; the plain key only in the answer that created it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Key(
            @JsonProperty("id") String id,
            @JsonProperty("name") String name,
            @JsonProperty("scopes") List<String> scopes,
            @JsonProperty("api_key") String apiKey) {
    }

    public record Keys(@JsonProperty("keys") List<Key> keys) {
    }

    public record Revoked(@JsonProperty("id") String id, @JsonProperty("revoked") boolean revoked) {
    }

    /** Creates a key; the plain key is in the answer once and nowhere else. */
    public Key create(Object name, Object scopesValue) {
        if (!(name instanceof String n) || n.isBlank() || n.length() > 100) {
            throw ApiException.badRequest("'name' is required: a non-empty string of at most 100 characters");
        }
        if (!(scopesValue instanceof List<?> list) || list.isEmpty() || list.size() > MAX_SCOPES) {
            throw ApiException.badRequest("'scopes' is required: a non-empty array such as [\"write:news\", \"read:*\"]"
                    + " or [\"admin\"], at most " + MAX_SCOPES + " of them");
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
        return new Key(id, n, scopes, key);
    }

    public Revoked revoke(@Header("id") String id) {
        var result = keys.updateOne(Filters.and(Filters.eq("_id", id), Filters.eq("revoked_at", null)),
                Updates.set("revoked_at", Instant.now().toString()));
        if (result.getMatchedCount() == 0) {
            throw ApiException.notFound("no active API key with id '" + id + "'");
        }
        recent.values().removeIf(c -> c.caller.id().equals(id));
        return new Revoked(id, true);
    }

    public Keys list() {
        List<Key> out = new ArrayList<>();
        for (Document d : keys.find(Filters.eq("revoked_at", null))) {
            out.add(new Key(d.getString("_id"), d.getString("name"), d.getList("scopes", String.class), null));
        }
        return new Keys(out);
    }

    /**
     * Makes sure an admin key exists. A configured key (PIPELINE_ADMIN_KEY) must be at least 32 random-looking
     * characters, or the start is refused; it is installed once and replaces (revokes) the previously configured one;
     * once revoked it stays revoked at every later start. Without one, a start that finds no active admin key (the
     * first start, or every admin key revoked) generates one and prints it once.
     */
    public void ensureAdminKey(String configuredKey) {
        if (configuredKey != null && !configuredKey.isEmpty()) {
            requireStrong(configuredKey);
            String hash = hash(configuredKey);
            Document existing = keys.find(Filters.eq("hash", hash)).first();
            if (existing == null) {
                // replicas of one Deployment start together: the unique hash index lets one insert win, and the
                // others read what it wrote (revoking first, as this once did, revoked the winner's key for good)
                if (insertUnlessPresent(new Document("_id", randomId("admin-")).append("name", CONFIGURED)
                        .append("hash", hash).append("scopes", List.of("admin"))
                        .append("created_at", Instant.now().toString()))) {
                    LOG.info("Admin API key taken from PIPELINE_ADMIN_KEY (a previously configured one is revoked)");
                } else {
                    existing = keys.find(Filters.eq("hash", hash)).first();
                }
            }
            if (existing != null && existing.get("revoked_at") != null) {
                LOG.warn("PIPELINE_ADMIN_KEY was revoked and stays revoked: set another key to have an admin key");
                return;
            }
            if (existing != null) {
                LOG.info("Admin API key taken from PIPELINE_ADMIN_KEY");
            }
            // the key configured now replaces any other configured one (idempotent: every replica may do it)
            keys.updateMany(Filters.and(Filters.eq("name", CONFIGURED), Filters.eq("revoked_at", null),
                    Filters.ne("hash", hash)), Updates.set("revoked_at", Instant.now().toString()));
            return;
        }
        if (activeAdminKeyExists()) {
            LOG.info("Admin API key already provisioned (set PIPELINE_ADMIN_KEY to replace it)");
            return;
        }
        String key = newKey();
        // "admin" is taken by an admin key revoked since (its record stays, revoked): the new one gets an id of its own
        String id = keys.find(Filters.eq("_id", "admin")).first() == null ? "admin"
                : randomId("admin-");
        if (!insertUnlessPresent(new Document("_id", id).append("name", "admin (generated)").append("hash", hash(key))
                .append("scopes", List.of("admin")).append("created_at", Instant.now().toString()))) {
            // another replica generated it first: that one printed its key
            LOG.info("Admin API key provisioned by another instance starting at the same time");
            return;
        }
        String banner = "\n==========================================================================\n"
                + " Generated admin API key (shown once, stored only as a hash):\n"
                + "   PIPELINE_ADMIN_KEY=" + key + "\n"
                + " Keep it; set PIPELINE_ADMIN_KEY yourself to choose the key instead.\n"
                + "==========================================================================";
        System.out.println(banner);
    }

    private boolean activeAdminKeyExists() {
        return keys.find(Filters.and(Filters.eq("scopes", "admin"), Filters.eq("revoked_at", null))).first() != null;
    }

    /** Inserts the document; false when a unique index (the id or the hash) already holds it. */
    private boolean insertUnlessPresent(Document doc) {
        try {
            keys.insertOne(doc);
            return true;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            return false;
        }
    }

    /**
     * An admin key from the environment must not be guessable: at least 32 characters and at least 128 bits by the
     * Shannon estimate of its characters ({@code openssl rand -hex 32} gives about 250, "change-me" repeated about 95).
     */
    static void requireStrong(String key) {
        if (key.length() < MIN_ADMIN_KEY_LENGTH || estimatedBits(key) < MIN_ADMIN_KEY_BITS || isSequence(key)) {
            throw new IllegalStateException("PIPELINE_ADMIN_KEY is too weak: use at least " + MIN_ADMIN_KEY_LENGTH
                    + " random characters (for example: openssl rand -hex 32), or leave it unset to have a key "
                    + "generated and printed at the first start");
        }
    }

    /**
     * Whether the key is mostly a run ("abcdefghijklmnopqrstuvwxyz012345", "aabbcc…", "9876…"): half or more of its
     * steps from one character to the next go up or down by at most one. The character count alone rates such a key
     * as strong; a random key has such a step about one time in five (hex) or in twenty (base64).
     */
    static boolean isSequence(String key) {
        int[] c = key.codePoints().toArray();
        int predictable = 0;
        for (int i = 1; i < c.length; i++) {
            if (Math.abs(c[i] - c[i - 1]) <= 1) {
                predictable++;
            }
        }
        return c.length > 1 && predictable * 2 >= c.length - 1;
    }

    /** An id that says nothing about the key (an id made from the key's hash gave away 48 bits of it). */
    private static String randomId(String prefix) {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return prefix + java.util.HexFormat.of().formatHex(bytes);
    }

    static double estimatedBits(String key) {
        Map<Integer, Integer> counts = new java.util.HashMap<>();
        key.codePoints().forEach(c -> counts.merge(c, 1, Integer::sum));
        int n = key.codePointCount(0, key.length());
        double perChar = 0;
        for (int c : counts.values()) {
            double p = (double) c / n;
            perChar -= p * Math.log(p) / Math.log(2);
        }
        return perChar * n;
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
