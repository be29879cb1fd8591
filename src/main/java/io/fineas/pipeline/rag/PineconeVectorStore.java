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
 */
public final class PineconeVectorStore implements VectorStore {

    static final int UPSERT_BATCH = 100;
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

    @Override
    public void removeStale(String topic, String segment, String source, int fromIndex) {
        post("/vectors/delete", Map.of("namespace", topic, "filter", Map.of(
                "segment", Map.of("$eq", segment), "source", Map.of("$eq", source),
                "chunk_index", Map.of("$gte", fromIndex))));
    }

    @Override
    public void delete(String topic, String segment) {
        if (segment == null) {
            post("/vectors/delete", Map.of("namespace", topic, "deleteAll", true));
        } else {
            post("/vectors/delete", Map.of("namespace", topic, "filter", Map.of("segment", Map.of("$eq", segment))));
        }
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
        HttpRequest request = HttpRequest.newBuilder(URI.create(host + path)).timeout(Duration.ofSeconds(30))
                .header("Api-Key", apiKey).header("Content-Type", "application/json")
                .header("X-Pinecone-API-Version", "2025-01")
                .POST(HttpRequest.BodyPublishers.ofString(toJson(body))).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
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
