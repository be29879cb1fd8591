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
            String path = ex.getRequestURI().getPath();
            Map<String, Object> body = path.equals("/vectors/list") || path.equals("/vectors/fetch")
                    ? Map.of("query", ex.getRequestURI().getRawQuery())
                    : JSON.readValue(ex.getRequestBody(), new TypeReference<>() {
                    });
            synchronized (calls) {
                calls.add(new Call(path, ex.getRequestHeaders().getFirst("Api-Key"), body));
            }
            // Pinecone's documented fetch answer: the vectors found, by id, with their metadata (one, in finance)
            String answer = path.equals("/vectors/fetch") && !((String) body.get("query")).contains("namespace=finance")
                    ? "{\"vectors\":{},\"namespace\":\"other\"}"
                    : path.equals("/vectors/fetch")
                    ? "{\"vectors\":{\"s:a#0\":{\"id\":\"s:a#0\",\"values\":[0.1],\"metadata\":{\"fingerprint\":\"f-a\","
                            + "\"text\":\"chunk a\",\"topic\":\"finance\"}}},\"namespace\":\"finance\"}"
                    : path.equals("/vectors/list") ? listAnswer(ex.getRequestURI().getRawQuery())
                    : path.equals("/query")
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

    /** Pinecone's documented list answer: two pages for a source's prefix (ids #0..#3), one page for a segment's. */
    private String listAnswer(String query) {
        String prefix = java.net.URLDecoder.decode(query.replaceAll(".*prefix=([^&]*).*", "$1"),
                StandardCharsets.UTF_8);
        if (prefix.endsWith("#") && !query.contains("paginationToken")) {
            return "{\"vectors\":[{\"id\":\"" + prefix + "0\"},{\"id\":\"" + prefix + "1\"}],"
                    + "\"pagination\":{\"next\":\"page2\"},\"namespace\":\"finance\"}";
        }
        if (prefix.endsWith("#")) {
            return "{\"vectors\":[{\"id\":\"" + prefix + "2\"},{\"id\":\"" + prefix + "3\"}],"
                    + "\"namespace\":\"finance\"}";
        }
        return "{\"vectors\":[{\"id\":\"" + prefix + "aaa#0\"},{\"id\":\"" + prefix + "bbb#0\"}],"
                + "\"namespace\":\"finance\"}";
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
    void fingerprintsAreFetchedByIdFromTheTopicsNamespace() {
        Map<String, String> found = store.fingerprints("finance", List.of("s:a#0", "s:b#0"));

        assertThat(found).containsExactly(Map.entry("s:a#0", "f-a"));
        assertThat(calls).singleElement().satisfies(c -> {
            assertThat(c.path()).isEqualTo("/vectors/fetch");
            assertThat((String) c.body().get("query")).isEqualTo("namespace=finance&ids=s%3Aa%230&ids=s%3Ab%230");
            assertThat(c.apiKey()).isEqualTo("pc-key");
        });
    }

    @Test
    void aChunkIsFetchedByIdFromTheFirstOfTheTopicsNamespacesThatHoldsIt() {
        assertThat(store.get("s:a#0", List.of("health", "finance"))).hasValueSatisfying(hit -> {
            assertThat(hit.id()).isEqualTo("s:a#0");
            assertThat(hit.text()).isEqualTo("chunk a");
            assertThat(hit.metadata()).containsEntry("topic", "finance").doesNotContainKey("text");
        });
        assertThat(calls).extracting(c -> (String) c.body().get("query")).containsExactly(
                "namespace=health&ids=s%3Aa%230", "namespace=finance&ids=s%3Aa%230");
        assertThat(store.get("s:a#0", List.of("health"))).isEmpty();
    }

    @Test
    void aRequestPineconeRefusesIsTheDatasFaultAndAnOutageIsNot() {
        status = 400;
        assertThatThrownBy(() -> store.upsert(List.of(chunk(1)), List.of(new float[] {0.1f})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("refused");
        status = 503;
        assertThatThrownBy(() -> store.upsert(List.of(chunk(1)), List.of(new float[] {0.1f})))
                .isNotInstanceOf(IllegalArgumentException.class).hasMessageContaining("503");
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
    void queriesWithASegmentFilterAndDeletesByIdAndNamespace() {
        List<SearchHit> hits = store.search(new float[] {1, 0}, 3, "finance", "news");
        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).text()).isEqualTo("hello");
        assertThat(hits.get(0).score()).isEqualTo(0.91);
        assertThat(calls.get(0).body()).containsEntry("namespace", "finance").containsEntry("topK", 3)
                .containsEntry("includeMetadata", true)
                .containsEntry("filter", Map.of("segment", Map.of("$eq", "news")));

        // stale chunks: the source's ids are listed by prefix (two pages), those from index 2 on deleted by id
        String source = Chunk.sourcePrefix("finance", "news", "http://x/1");
        store.removeStale("finance", "news", "http://x/1", 2);
        assertThat(calls.subList(1, 4)).extracting(Call::path)
                .containsExactly("/vectors/list", "/vectors/list", "/vectors/delete");
        assertThat((String) calls.get(1).body().get("query")).contains("namespace=finance")
                .contains("prefix=" + java.net.URLEncoder.encode(source, StandardCharsets.UTF_8));
        assertThat((String) calls.get(2).body().get("query")).contains("paginationToken=page2");
        assertThat(calls.get(3).body()).containsEntry("namespace", "finance")
                .containsEntry("ids", List.of(source + "2", source + "3"));

        store.delete("finance", null);
        assertThat(calls.get(4).body()).containsEntry("namespace", "finance").containsEntry("deleteAll", true);

        // a segment: every id under the segment's prefix
        String segment = Chunk.segmentPrefix("finance", "news");
        store.delete("finance", "news");
        assertThat(calls.get(6).path()).isEqualTo("/vectors/delete");
        assertThat(calls.get(6).body()).containsEntry("ids", List.of(segment + "aaa#0", segment + "bbb#0"));
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
