package io.fineas.pipeline.gateway;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The topic of a request without a body comes from its path, where its operation declares {topic}, and nowhere else. */
class ScopePolicyTest {

    @Test
    void theTopicIsTheDeclaredPathParameterOnly() {
        assertThat(ScopePolicy.pathParameter("/topics/{topic}/segments", "/topics/finance/segments", "topic"))
                .isEqualTo("finance");
        assertThat(ScopePolicy.pathParameter("/topics/{topic}/segments/{segment}/inferences",
                "/api/topics/fin/segments/news/inferences", "topic")).isEqualTo("fin");
        assertThat(ScopePolicy.pathParameter("/topics/{topic}/budget", "/topics/a%2Eb/budget", "topic"))
                .isEqualTo("a.b");
        // an operation without {topic}: nothing, whatever the request carries
        assertThat(ScopePolicy.pathParameter("/schedule", "/schedule", "topic")).isNull();
        assertThat(ScopePolicy.pathParameter(null, "/topics/x/segments", "topic")).isNull();
    }
}
