package io.fineas.pipeline.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When "auto" starts the embedded Kafka broker or MongoDB server, and when it leaves them to a configured one. */
class EmbeddedChoiceTest {

    private static final String EMBEDDED = "127.0.0.1:9092";

    @Test
    void autoStartsTheEmbeddedServerOnlyWhenNothingElseIsConfigured() {
        assertThat(PipelineConfiguration.embedded("auto", "", EMBEDDED, EMBEDDED)).isTrue();
        assertThat(PipelineConfiguration.embedded("auto", null, EMBEDDED, EMBEDDED)).isTrue();
        // the environment names a server (even on the embedded one's address: a real broker there)
        assertThat(PipelineConfiguration.embedded("auto", "127.0.0.1:9092", EMBEDDED, EMBEDDED)).isFalse();
        // a property names another server (kafka.brokers in a properties file, a test's override): no embedded broker
        assertThat(PipelineConfiguration.embedded("auto", "", "kafka-1:9092,kafka-2:9092", EMBEDDED)).isFalse();
        // true and false are obeyed
        assertThat(PipelineConfiguration.embedded("true", "kafka-1:9092", "kafka-1:9092", EMBEDDED)).isTrue();
        assertThat(PipelineConfiguration.embedded("false", "", EMBEDDED, EMBEDDED)).isFalse();
        assertThat(PipelineConfiguration.embedded("AUTO", "", "mongodb://db:27017", "mongodb://127.0.0.1:27017"))
                .isFalse();
    }
}
