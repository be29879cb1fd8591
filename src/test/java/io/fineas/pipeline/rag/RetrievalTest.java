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
    void reciprocalRankFusionRanksWhatBothRankingsHoldFirstAndScoresItsRanks() {
        List<SearchHit> vector = List.of(hit("a", 0.91), hit("b", 0.90), hit("c", 0.70));
        List<SearchHit> keyword = List.of(hit("c", 12.5), hit("d", 9.0), hit("b", 3.1));

        List<SearchHit> fused = Retrieval.fuse(List.of(vector, keyword));

        // b: 1/62 + 1/63; c: 1/63 + 1/61; a: 1/61; d: 1/62
        assertThat(fused).extracting(SearchHit::id).containsExactly("c", "b", "a", "d");
        assertThat(fused.get(0).score()).isCloseTo(1.0 / 63 + 1.0 / 61, within(1e-12));
        assertThat(fused.get(2).score()).isCloseTo(1.0 / 61, within(1e-12));
        // the chunk's text and provenance as first seen; nothing repeated
        assertThat(fused.get(0).text()).isEqualTo("text of c");
        assertThat(Retrieval.fuse(List.of(vector, List.of()))).extracting(SearchHit::id).containsExactly("a", "b", "c");
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
                List::of), null, Retrieval.HYBRID);
        assertThat(pinecone.retrieval(null)).isEqualTo(Retrieval.VECTOR);
        assertThat(pinecone.retrieval("hybrid")).isEqualTo(Retrieval.VECTOR);
        assertThat(catchThrowableOfType(ApiException.class, () -> pinecone.retrieval("keyword")).getMessage())
                .contains("keyword retrieval needs the embedded index");
        // a chat question never fails for it: it gets the service's default
        assertThat(pinecone.retrievalOrDefault("keyword")).isEqualTo(Retrieval.VECTOR);
        assertThat(pinecone.retrievalOrDefault("nonsense")).isEqualTo(Retrieval.VECTOR);
    }
}
