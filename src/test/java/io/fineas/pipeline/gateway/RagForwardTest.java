package io.fineas.pipeline.gateway;

import io.fineas.pipeline.common.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RagForwardTest {

    @Test
    void forwardsOnlyToTheServiceItself() {
        assertThat(new RagForward("http://rag:8080").base()).isEqualTo("http://rag:8080");
        assertThat(new RagForward(" https://rag.internal/ ").base()).isEqualTo("https://rag.internal");
        for (String bad : new String[] {"rag:8080", "ftp://rag", "http://rag:8080/api", "http://rag:8080?x=1",
                "http://user:pw@rag:8080", "http://rag:8080#f", "not a url"}) {
            assertThatThrownBy(() -> new RagForward(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("RAG_URL");
        }
    }

    @Test
    void withoutARagServiceTheAnswerSaysSo() {
        assertThatThrownBy(() -> new RagForward("").base()).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.getStatus()).isEqualTo(503));
        assertThatThrownBy(() -> new RagForward(null).base()).isInstanceOf(ApiException.class);
    }

    @Test
    void aChunkIdIsOnePathSegmentWhateverItHolds() {
        RagForward forward = new RagForward("http://rag:8080");
        assertThat(forward.lineagePath("news:3f2a:0")).isEqualTo("/lineage/news%3A3f2a%3A0");
        assertThat(forward.lineagePath("../status")).isEqualTo("/lineage/..%2Fstatus");
        assertThat(forward.lineagePath("a b/c?d#e")).isEqualTo("/lineage/a%20b%2Fc%3Fd%23e");
        assertThat(forward.lineagePath("%2e%2e")).isEqualTo("/lineage/%252e%252e");
        for (String none : new String[] {"", ".", "..", "x".repeat(201)}) {
            assertThatThrownBy(() -> forward.lineagePath(none)).isInstanceOfSatisfying(ApiException.class,
                    e -> assertThat(e.getStatus()).isEqualTo(404));
        }
    }
}
