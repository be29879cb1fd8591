package io.fineas.pipeline.rag;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Pinecone store against a local stand-in of Pinecone's REST data plane: the exact requests it sends. */
class PineconeVectorStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private record Call(String path, String apiKey, Map<String, Object> body) {
    }

    private HttpServer server;
    private final List<Call> calls = new ArrayList<>();
    private volatile int status = 200;
    private PineconeVectorStore store;

    @BeforeEach
    void standIn() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            Map<String, Object> body = JSON.readValue(ex.getRequestBody(), new TypeReference<>() {
            });
            synchronized (calls) {
                calls.add(new Call(ex.getRequestURI().getPath(), ex.getRequestHeaders().getFirst("Api-Key"), body));
            }
            String answer = ex.getRequestURI().getPath().equals("/query")
                    ? "{\"matches\":[{\"id\":\"c1\",\"score\":0.91,\"metadata\":{\"text\":\"hello\",\"segment\":\"news\","
                            + "\"chunk_index\":0}}],\"namespace\":\"" + body.get("namespace") + "\"}"
                    : status == 200 ? "{}" : "{\"code\":3,\"message\":\"bad request\"}";
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        server.start();
        store = new PineconeVectorStore("http://127.0.0.1:" + server.getAddress().getPort(), "pc-key",
                () -> List.of("finance", "health"));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static Chunk chunk(int i) {
        return new Chunk("id" + i, "finance", "news", "http://x/" + (i / 10), i % 10, "text " + i,
                Map.of("segment", "news", "source", "http://x/" + (i / 10), "chunk_index", i % 10,
                        "parameters", Map.of("ticker", "ACME")));
    }

    @Test
    void upsertsInBatchesOfAtMostOneHundredIntoTheTopicsNamespace() {
        List<Chunk> chunks = IntStream.range(0, 250).mapToObj(PineconeVectorStoreTest::chunk).toList();
        store.upsert(chunks, chunks.stream().map(c -> new float[] {0.1f, 0.2f}).toList());

        assertThat(calls).extracting(Call::path).containsOnly("/vectors/upsert");
        assertThat(calls).extracting(c -> ((List<?>) c.body().get("vectors")).size()).containsExactly(100, 100, 50);
        assertThat(calls).allSatisfy(c -> {
            assertThat(c.apiKey()).isEqualTo("pc-key");
            assertThat(c.body()).containsEntry("namespace", "finance");
        });
        Map<String, Object> first = (Map<String, Object>) ((List<?>) calls.get(0).body().get("vectors")).get(0);
        assertThat(first).containsEntry("id", "id0").containsEntry("values", List.of(0.1, 0.2));
        assertThat((Map<String, Object>) first.get("metadata")).containsEntry("text", "text 0")
                .containsEntry("segment", "news").containsEntry("parameters", "{\"ticker\":\"ACME\"}");
    }

    @Test
    void queriesWithASegmentFilterAndDeletesByFilterAndNamespace() {
        List<SearchHit> hits = store.search(new float[] {1, 0}, 3, "finance", "news");
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).text()).isEqualTo("hello");
        assertThat(hits.get(0).score()).isEqualTo(0.91);
        assertThat(calls.get(0).body()).containsEntry("namespace", "finance").containsEntry("topK", 3)
                .containsEntry("includeMetadata", true)
                .containsEntry("filter", Map.of("segment", Map.of("$eq", "news")));

        store.removeStale("finance", "news", "http://x/1", 2);
        assertThat(calls.get(1).path()).isEqualTo("/vectors/delete");
        assertThat(calls.get(1).body()).containsEntry("namespace", "finance").containsEntry("filter", Map.of(
                "segment", Map.of("$eq", "news"), "source", Map.of("$eq", "http://x/1"),
                "chunk_index", Map.of("$gte", 2)));

        store.delete("finance", null);
        assertThat(calls.get(2).body()).containsEntry("namespace", "finance").containsEntry("deleteAll", true);
        store.delete("finance", "news");
        assertThat(calls.get(3).body()).containsEntry("filter", Map.of("segment", Map.of("$eq", "news")));
    }

    @Test
    void aSearchWithoutTopicAsksEveryTopicsNamespace() {
        store.search(new float[] {1, 0}, 2, null, null);
        assertThat(calls).extracting(c -> c.body().get("namespace")).containsExactly("finance", "health");
    }

    @Test
    void anErrorAnswerFails() {
        status = 400;
        assertThatThrownBy(() -> store.delete("finance", null)).hasMessageContaining("400");
    }
}
