package io.fineas.pipeline.rag;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Pinecone through its REST data plane (upsert, query, delete), one namespace per topic. Upserts go in batches of at
 * most 100 vectors (Pinecone's recommended request size, well under its 2 MB limit); the chunk text travels in the
 * metadata so a query answers with it. A search without a topic asks each topic's namespace and merges the results.
 * Deletes go by id (listed by id prefix) or by namespace, which serverless and pod-based indexes both support.
 */
public final class PineconeVectorStore implements VectorStore {

    static final int UPSERT_BATCH = 100;
    static final int DELETE_BATCH = 1000;
    static final int FETCH_BATCH = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The messages of Pinecone's data plane (API version 2025-01) this store sends and reads. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Vector(String id, float[] values, Map<String, Object> metadata) {
    }

    record UpsertRequest(String namespace, List<Vector> vectors) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record QueryRequest(String namespace, float[] vector, int topK, boolean includeMetadata, SegmentFilter filter) {
    }

    /** {"segment": {"$eq": name}} */
    record SegmentFilter(@JsonProperty("segment") Eq segment) {
    }

    record Eq(@JsonProperty("$eq") String eq) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record QueryResponse(List<Match> matches) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Match(String id, double score, Map<String, Object> metadata) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record FetchResponse(Map<String, Vector> vectors) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record ListResponse(List<Vector> vectors, Pagination pagination) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record Pagination(String next) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeleteRequest(String namespace, List<String> ids, Boolean deleteAll) {
    }

    private final String host;
    private final String apiKey;
    private final Supplier<List<String>> topics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public PineconeVectorStore(String host, String apiKey, Supplier<List<String>> topics) {
        this.host = host.endsWith("/") ? host.substring(0, host.length() - 1)
                : host.startsWith("http") ? host : "https://" + host;
        this.apiKey = apiKey;
        this.topics = topics;
    }

    @Override
    public void upsert(List<Chunk> chunks, List<float[]> vectors) {
        Map<String, List<Vector>> byNamespace = new LinkedHashMap<>();
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            Map<String, Object> metadata = new LinkedHashMap<>();
            c.metadata().forEach((k, v) -> {
                if (v != null) {
                    metadata.put(k, v instanceof Map || v instanceof List ? toJson(v) : v);
                }
            });
            metadata.put("text", c.text());
            byNamespace.computeIfAbsent(c.topic(), t -> new ArrayList<>())
                    .add(new Vector(c.id(), vectors.get(i), metadata));
        }
        byNamespace.forEach((namespace, list) -> {
            for (int from = 0; from < list.size(); from += UPSERT_BATCH) {
                post("/vectors/upsert", new UpsertRequest(namespace,
                        list.subList(from, Math.min(list.size(), from + UPSERT_BATCH))), Void.class);
            }
        });
    }

    /** GET /vectors/fetch?ids&namespace: the fingerprint in each stored chunk's metadata. */
    @Override
    public Map<String, String> fingerprints(String topic, List<String> chunkIds) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int from = 0; from < chunkIds.size(); from += FETCH_BATCH) {
            FetchResponse answer = fetch(topic, chunkIds.subList(from, Math.min(chunkIds.size(), from + FETCH_BATCH)));
            if (answer != null && answer.vectors() != null) {
                answer.vectors().forEach((id, vector) -> {
                    if (vector.metadata() != null && vector.metadata().get(Chunk.FINGERPRINT) instanceof String f) {
                        out.put(id, f);
                    }
                });
            }
        }
        return out;
    }

    /** GET /vectors/fetch of the id in each topic's namespace until one holds it. */
    @Override
    public java.util.Optional<SearchHit> get(String chunkId, List<String> topics) {
        for (String topic : topics) {
            FetchResponse answer = fetch(topic, List.of(chunkId));
            Vector vector = answer == null || answer.vectors() == null ? null : answer.vectors().get(chunkId);
            if (vector != null) {
                return java.util.Optional.of(hit(chunkId, 0, vector.metadata()));
            }
        }
        return java.util.Optional.empty();
    }

    /** GET /vectors/fetch?namespace&ids: the stored vectors of these ids in the namespace. */
    private FetchResponse fetch(String namespace, List<String> ids) {
        StringBuilder query = new StringBuilder("/vectors/fetch?namespace=").append(encode(namespace));
        ids.forEach(id -> query.append("&ids=").append(encode(id)));
        return send(HttpRequest.newBuilder(URI.create(host + query)).GET(), "/vectors/fetch", FetchResponse.class);
    }

    /**
     * Deletes by id, which every Pinecone index supports (serverless ones cannot delete by metadata filter): the ids
     * of the source's chunks are listed by their prefix, and those from {@code fromIndex} on deleted.
     */
    @Override
    public void removeStale(String topic, String segment, String source, int fromIndex) {
        String prefix = Chunk.sourcePrefix(topic, segment, source);
        deleteIds(topic, listIds(topic, prefix).stream()
                .filter(id -> Integer.parseInt(id.substring(prefix.length())) >= fromIndex).toList());
    }

    @Override
    public void delete(String topic, String segment) {
        if (segment == null) {
            post("/vectors/delete", new DeleteRequest(topic, null, true), Void.class);
        } else {
            deleteIds(topic, listIds(topic, Chunk.segmentPrefix(topic, segment)));
        }
    }

    /** The segment's ids (GET /vectors/list by prefix), then their metadata (fetch): those of the generation go. */
    @Override
    public void delete(String topic, String segment, String generation) {
        if (generation == null || segment == null) {
            delete(topic, segment);
            return;
        }
        List<String> ids = listIds(topic, Chunk.segmentPrefix(topic, segment));
        List<String> doomed = new ArrayList<>();
        for (int from = 0; from < ids.size(); from += FETCH_BATCH) {
            FetchResponse answer = fetch(topic, ids.subList(from, Math.min(ids.size(), from + FETCH_BATCH)));
            if (answer != null && answer.vectors() != null) {
                answer.vectors().forEach((id, vector) -> {
                    Object g = vector.metadata() == null ? null : vector.metadata().get("generation");
                    if (g == null || "".equals(g) || generation.equals(g)) {
                        doomed.add(id);
                    }
                });
            }
        }
        deleteIds(topic, doomed);
    }

    private void deleteIds(String namespace, List<String> ids) {
        for (int from = 0; from < ids.size(); from += DELETE_BATCH) {
            post("/vectors/delete", new DeleteRequest(namespace,
                    ids.subList(from, Math.min(ids.size(), from + DELETE_BATCH)), null), Void.class);
        }
    }

    /** GET /vectors/list?namespace&prefix, following the pagination token. */
    private List<String> listIds(String namespace, String prefix) {
        List<String> ids = new ArrayList<>();
        String token = null;
        do {
            String query = "/vectors/list?namespace=" + encode(namespace) + "&prefix=" + encode(prefix) + "&limit=100"
                    + (token == null ? "" : "&paginationToken=" + encode(token));
            ListResponse page = send(HttpRequest.newBuilder(URI.create(host + query)).GET(), query,
                    ListResponse.class);
            if (page != null && page.vectors() != null) {
                page.vectors().forEach(v -> ids.add(v.id()));
            }
            token = page == null || page.pagination() == null ? null : page.pagination().next();
        } while (token != null);
        return ids;
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public List<SearchHit> search(float[] query, int k, String topic, String segment) {
        List<SearchHit> hits = new ArrayList<>();
        for (String namespace : topic != null ? List.of(topic) : topics.get()) {
            QueryResponse answer = post("/query", new QueryRequest(namespace, query, k, true,
                    segment == null ? null : new SegmentFilter(new Eq(segment))), QueryResponse.class);
            for (Match match : answer == null || answer.matches() == null ? List.<Match>of() : answer.matches()) {
                hits.add(hit(match.id(), match.score(), match.metadata()));
            }
        }
        hits.sort(Comparator.comparingDouble(SearchHit::score).reversed());
        return hits.size() > k ? hits.subList(0, k) : hits;
    }

    /** A stored vector's chunk: its text travels in the metadata. */
    private static SearchHit hit(String id, double score, Map<String, Object> stored) {
        Map<String, Object> metadata = new LinkedHashMap<>(stored == null ? Map.of() : stored);
        String text = (String) metadata.remove("text");
        return new SearchHit(id, score, text, metadata);
    }

    private <T> T post(String path, Object body, Class<T> answer) {
        return send(HttpRequest.newBuilder(URI.create(host + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(toJson(body))), path, answer);
    }

    /** The answer read as its type; null for an empty body or when none is wanted (Void). */
    private <T> T send(HttpRequest.Builder builder, String path, Class<T> answer) {
        HttpRequest request = builder.timeout(Duration.ofSeconds(30)).header("Api-Key", apiKey)
                .header("X-Pinecone-API-Version", "2025-01").build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 400 || response.statusCode() == 413 || response.statusCode() == 422) {
                // the request itself is refused (metadata over 40 KB, a vector too large): the data's fault
                throw new IllegalArgumentException("Pinecone " + path + " refused the request ("
                        + response.statusCode() + "): " + response.body());
            }
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException("Pinecone " + path + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            return answer == Void.class || response.body().isBlank() ? null : JSON.readValue(response.body(), answer);
        } catch (IOException e) {
            throw new UncheckedIOException("Pinecone " + path + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String toJson(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String describe() {
        return "Pinecone index at " + host;
    }

    @Override
    public void close() {
    }
}
