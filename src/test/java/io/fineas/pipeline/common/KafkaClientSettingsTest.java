package io.fineas.pipeline.common;

import java.util.Map;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KafkaClientSettingsTest {

    @Test
    void onlyTheSettingsThatAreSetReachTheClientsAndNoSecretReachesTheLog() {
        KafkaClientSettings scram = new KafkaClientSettings("b1:9093,b2:9093", "SASL_SSL", "SCRAM-SHA-512",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"p\";",
                "/etc/kafka/trust.p12", "trust-secret", "PKCS12", " ", "", null, null, "");
        assertThat(scram.security()).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config",
                "ssl.truststore.location", "ssl.truststore.password", "ssl.truststore.type");
        assertThat(scram.client(Map.of("client.id", "admin"))).containsEntry("bootstrap.servers", "b1:9093,b2:9093")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("client.id", "admin");
        assertThat(scram.toString()).isEqualTo("b1:9093,b2:9093 (SASL_SSL, SCRAM-SHA-512)")
                .doesNotContain("secret").doesNotContain("password");

        assertThat(KafkaClientSettings.plaintext("127.0.0.1:9092").security()).isEmpty();
        assertThat(KafkaClientSettings.plaintext("127.0.0.1:9092").toString()).isEqualTo("127.0.0.1:9092 (PLAINTEXT)");
        KafkaClientSettings noHostCheck = new KafkaClientSettings("b:9093", "SSL", null, null, null, null, null,
                "/k.p12", "ks", "kp", "PKCS12", "none");
        assertThat(noHostCheck.security()).containsEntry("ssl.endpoint.identification.algorithm", "")
                .containsEntry("ssl.keystore.location", "/k.p12").containsEntry("ssl.key.password", "kp");
    }
}
