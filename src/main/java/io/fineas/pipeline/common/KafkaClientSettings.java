package io.fineas.pipeline.common;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How every Kafka client of this process connects: the brokers and one set of security settings (TLS, SASL PLAIN or
 * SCRAM), given to Camel's kafka component and to the plain clients (the topic admin, the health checks, the dead
 * letter browser) alike, so a managed Kafka that needs TLS or SASL (Confluent Cloud, MSK, Aiven, Strimzi) is reached by
 * all of them or by none. A blank setting is left to the Kafka client's default.
 *
 * @param endpointIdentification the TLS host name check: blank for Kafka's default (https), {@code none} to turn it
 *                               off (a broker whose certificate names no host it is reached by)
 */
public record KafkaClientSettings(String bootstrapServers, String securityProtocol, String saslMechanism,
        String saslJaasConfig, String truststoreLocation, String truststorePassword, String truststoreType,
        String keystoreLocation, String keystorePassword, String keyPassword, String keystoreType,
        String endpointIdentification) {

    /** The brokers alone, no security (the embedded broker, a test's). */
    public static KafkaClientSettings plaintext(String bootstrapServers) {
        return new KafkaClientSettings(bootstrapServers, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    /** The security settings that are set, as Kafka client properties (no bootstrap servers). */
    public Map<String, Object> security() {
        Map<String, Object> p = new LinkedHashMap<>();
        put(p, CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
        put(p, SaslConfigs.SASL_MECHANISM, saslMechanism);
        put(p, SaslConfigs.SASL_JAAS_CONFIG, saslJaasConfig);
        put(p, SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststoreLocation);
        put(p, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, truststorePassword);
        put(p, SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, truststoreType);
        put(p, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystoreLocation);
        put(p, SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, keystorePassword);
        put(p, SslConfigs.SSL_KEY_PASSWORD_CONFIG, keyPassword);
        put(p, SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, keystoreType);
        if ("none".equalsIgnoreCase(blankToNull(endpointIdentification))) {
            p.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "");
        } else {
            put(p, SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, endpointIdentification);
        }
        return p;
    }

    /** A plain client's properties: the brokers, the security settings, then the client's own. */
    public Properties client(Map<String, ?> own) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(security());
        p.putAll(own);
        return p;
    }

    /** What the log may say: the brokers and the protocol, never a password or a JAAS line. */
    @Override
    public String toString() {
        String protocol = blankToNull(securityProtocol);
        String mechanism = blankToNull(saslMechanism);
        return bootstrapServers + " (" + (protocol == null ? "PLAINTEXT" : protocol)
                + (mechanism == null ? "" : ", " + mechanism) + ")";
    }

    private static void put(Map<String, Object> p, String key, String value) {
        String v = blankToNull(value);
        if (v != null) {
            p.put(key, v);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
