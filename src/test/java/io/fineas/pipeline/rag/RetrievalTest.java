package io.fineas.pipeline.rag;

import java.util.List;
import java.util.Map;

import io.fineas.pipeline.common.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

class RetrievalTest {

    private static SearchHit hit(String id, double score) {
        return new SearchHit(id, score, "text of " + id, Map.of("source", id));
    }

    @Test
    void hybridScoresAreTheWeightedSumOfEachListsScoresNormalisedToZeroToOne() {
        List<SearchHit> vector = List.of(hit("a", 0.90), hit("b", 0.80), hit("c", 0.70));
        List<SearchHit> keyword = List.of(hit("c", 12.0), hit("d", 9.0), hit("b", 4.0));

        List<SearchHit> fused = Retrieval.combine(vector, keyword, 0.5);

        // vector a 1, b 0.5, c 0; keyword c 1, d 0.625, b 0 -> c 0.5, a 0.5, d 0.3125, b 0.25
        assertThat(fused).extracting(SearchHit::id).containsExactly("a", "c", "d", "b");
        assertThat(fused.get(1).score()).isCloseTo(0.5, within(1e-12));
        assertThat(fused.get(2).score()).isCloseTo(0.3125, within(1e-12));
        assertThat(fused.get(3).score()).isCloseTo(0.25, within(1e-12));
        // the chunk's text and provenance as first seen; nothing repeated
        assertThat(fused.get(1).text()).isEqualTo("text of c");
        assertThat(Retrieval.combine(vector, List.of(), 0.5)).extracting(SearchHit::id).containsExactly("a", "b", "c");
        // alpha 1 is meaning alone, 0 words alone
        assertThat(Retrieval.combine(vector, keyword, 1.0)).extracting(SearchHit::id).startsWith("a", "b");
        assertThat(Retrieval.combine(vector, keyword, 0.0)).extracting(SearchHit::id).startsWith("c", "d");
    }

    @Test
    void aWordFarAheadInOneListIsNotOutrankedByChunksBothListsRankMiddling() {
        // the keyword list finds the rare identifier decisively; the vector list never saw it
        List<SearchHit> vector = List.of(hit("m1", 0.62), hit("m2", 0.55), hit("m3", 0.50), hit("x", 0.40));
        List<SearchHit> keyword = List.of(hit("id", 14.0), hit("m1", 3.2), hit("m2", 3.1), hit("m3", 3.0),
                hit("y", 2.0));

        // reciprocal rank fusion would rank m1, m2 and m3 (in both lists) before "id" (in one: 1/61 against 1/62 +
        // 1/63 and more); the normalised scores keep it second, after the chunk both lists rank first
        assertThat(Retrieval.combine(vector, keyword, 0.5)).extracting(SearchHit::id)
                .startsWith("m1", "id", "m2", "m3");
    }

    @Test
    void aModeIsNamedInAnyCaseOrFallsBackAndAnUnknownOneIsA400() {
        assertThat(Retrieval.parse("Hybrid", Retrieval.VECTOR)).isEqualTo(Retrieval.HYBRID);
        assertThat(Retrieval.parse(null, Retrieval.KEYWORD)).isEqualTo(Retrieval.KEYWORD);
        assertThat(catchThrowableOfType(ApiException.class, () -> Retrieval.parse("semantic", Retrieval.VECTOR))
                .getStatus()).isEqualTo(400);
        assertThat(Retrieval.HYBRID.label()).isEqualTo("hybrid");
    }

    @Test
    void aStoreWithoutKeywordSearchAnswersHybridByVectorAndRefusesKeyword() {
        SemanticSearch pinecone = new SemanticSearch(null, new PineconeVectorStore("http://127.0.0.1:9", "key",
                List::of), null, Retrieval.HYBRID, 0.5);
        assertThat(pinecone.retrieval(null)).isEqualTo(Retrieval.VECTOR);
        assertThat(pinecone.retrieval("hybrid")).isEqualTo(Retrieval.VECTOR);
        assertThat(catchThrowableOfType(ApiException.class, () -> pinecone.retrieval("keyword")).getMessage())
                .contains("keyword retrieval needs the embedded index");
        // a chat question never fails for it: it gets the service's default
        assertThat(pinecone.retrievalOrDefault("keyword")).isEqualTo(Retrieval.VECTOR);
        assertThat(pinecone.retrievalOrDefault("nonsense")).isEqualTo(Retrieval.VECTOR);
    }
}
