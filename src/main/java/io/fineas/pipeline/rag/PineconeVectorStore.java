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

import com.fasterxml.jackson.core.type.TypeReference;
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
        Map<String, List<Map<String, Object>>> byNamespace = new LinkedHashMap<>();
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
                    .add(Map.of("id", c.id(), "values", vectors.get(i), "metadata", metadata));
        }
        byNamespace.forEach((namespace, list) -> {
            for (int from = 0; from < list.size(); from += UPSERT_BATCH) {
                post("/vectors/upsert", Map.of("namespace", namespace,
                        "vectors", list.subList(from, Math.min(list.size(), from + UPSERT_BATCH))));
            }
        });
    }

    /** GET /vectors/fetch?ids&namespace: the fingerprint in each stored chunk's metadata. */
    @Override
    public Map<String, String> fingerprints(String topic, List<String> chunkIds) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int from = 0; from < chunkIds.size(); from += FETCH_BATCH) {
            StringBuilder query = new StringBuilder("/vectors/fetch?namespace=").append(encode(topic));
            chunkIds.subList(from, Math.min(chunkIds.size(), from + FETCH_BATCH))
                    .forEach(id -> query.append("&ids=").append(encode(id)));
            Map<String, Object> answer = send(HttpRequest.newBuilder(URI.create(host + query)).GET(), "/vectors/fetch");
            if (answer.get("vectors") instanceof Map<?, ?> vectors) {
                vectors.forEach((id, v) -> {
                    if (v instanceof Map<?, ?> vector && vector.get("metadata") instanceof Map<?, ?> metadata
                            && metadata.get(Chunk.FINGERPRINT) instanceof String fingerprint) {
                        out.put((String) id, fingerprint);
                    }
                });
            }
        }
        return out;
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
            post("/vectors/delete", Map.of("namespace", topic, "deleteAll", true));
        } else {
            deleteIds(topic, listIds(topic, Chunk.segmentPrefix(topic, segment)));
        }
    }

    private void deleteIds(String namespace, List<String> ids) {
        for (int from = 0; from < ids.size(); from += DELETE_BATCH) {
            post("/vectors/delete", Map.of("namespace", namespace,
                    "ids", ids.subList(from, Math.min(ids.size(), from + DELETE_BATCH))));
        }
    }

    /** GET /vectors/list?namespace&prefix, following the pagination token. */
    private List<String> listIds(String namespace, String prefix) {
        List<String> ids = new ArrayList<>();
        String token = null;
        do {
            String query = "/vectors/list?namespace=" + encode(namespace) + "&prefix=" + encode(prefix) + "&limit=100"
                    + (token == null ? "" : "&paginationToken=" + encode(token));
            Map<String, Object> page = send(HttpRequest.newBuilder(URI.create(host + query)).GET(), query);
            for (Object v : (List<?>) page.getOrDefault("vectors", List.of())) {
                ids.add((String) ((Map<?, ?>) v).get("id"));
            }
            Object pagination = page.get("pagination");
            token = pagination instanceof Map<?, ?> p ? (String) p.get("next") : null;
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
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("namespace", namespace);
            request.put("vector", query);
            request.put("topK", k);
            request.put("includeMetadata", true);
            if (segment != null) {
                request.put("filter", Map.of("segment", Map.of("$eq", segment)));
            }
            Map<String, Object> answer = post("/query", request);
            for (Object m : (List<?>) answer.getOrDefault("matches", List.of())) {
                Map<String, Object> match = (Map<String, Object>) m;
                Map<String, Object> metadata = new LinkedHashMap<>((Map<String, Object>) match.getOrDefault("metadata",
                        Map.of()));
                String text = (String) metadata.remove("text");
                hits.add(new SearchHit((String) match.get("id"), ((Number) match.get("score")).doubleValue(), text,
                        metadata));
            }
        }
        hits.sort(Comparator.comparingDouble(SearchHit::score).reversed());
        return hits.size() > k ? hits.subList(0, k) : hits;
    }

    private Map<String, Object> post(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(host + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(toJson(body))), path);
    }

    private Map<String, Object> send(HttpRequest.Builder builder, String path) {
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
            return response.body().isBlank() ? Map.of() : JSON.readValue(response.body(), new TypeReference<>() {
            });
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
