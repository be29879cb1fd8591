package io.fineas.pipeline.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.model.Filters;
import io.fineas.pipeline.common.MongoClientConfig;
import io.fineas.pipeline.support.PipelineInfrastructure;
import io.fineas.pipeline.support.PipelineTestSupport;
import io.fineas.pipeline.support.TestCertificates;
import io.fineas.pipeline.support.TlsProxy;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gateway against a MongoDB that speaks only TLS, with a certificate a private authority signed (self-signed here),
 * as a managed or in-house MongoDB does: the URI says tls=true and MONGODB_TLS_TRUSTSTORE_* the certificate to trust.
 * The embedded wire server speaks no TLS, so a TLS endpoint in front of it (TlsProxy) is the only address the
 * application is given. Authentication (SCRAM through the URI's user:password@) is not tested: the embedded server
 * accepts any client and implements no authentication.
 */
class SecuredMongoTest extends PipelineTestSupport {

    private static final String PASSWORD = "store-secret-51bd";
    private TlsProxy proxy;
    private TestCertificates certificates;

    @Override
    protected String roles() {
        return "gateway";
    }

    @Override
    protected void overrideProperties(Properties p) {
        start();
        p.put("mongodb.uri", tlsUri());
        p.put("mongodb.tls-truststore-location", certificates.truststore().toString());
        p.put("mongodb.tls-truststore-password", PASSWORD);
    }

    private String tlsUri() {
        return "mongodb://127.0.0.1:" + proxy.port() + "/?tls=true&serverSelectionTimeoutMS=3000";
    }

    private synchronized void start() {
        if (proxy != null) {
            return;
        }
        try {
            Path dir = Files.createTempDirectory("secured-mongo");
            certificates = TestCertificates.issue(dir, "mongodb", PASSWORD);
            String target = new ConnectionString(PipelineInfrastructure.mongoUri()).getHosts().get(0);
            int colon = target.lastIndexOf(':');
            proxy = new TlsProxy(certificates.keystore(), PASSWORD, target.substring(0, colon),
                    Integer.parseInt(target.substring(colon + 1)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    void stopProxy() throws Exception {
        if (context != null) {
            context.stop();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void theGatewayWritesAndReadsItsStoresOverTlsWithTheTrustStoresAuthority() {
        String topic = uniqueName("tls");
        Response created = post("/topics", Map.of("api_key", ADMIN_KEY, "topic", topic, "topic_action", "create"));
        assertThat(created.status()).as(created.body()).isIn(200, 201);
        Response segment = post("/segments", Map.of("api_key", ADMIN_KEY, "topic", topic, "segment", "news",
                "segment_action", "create"));
        assertThat(segment.status()).as(segment.body()).isIn(200, 201);
        assertThat((List<?>) get("/topics/" + topic + "/segments", "X-API-Key", ADMIN_KEY).json().get("segments"))
                .hasSize(1);
        // what was written through the TLS endpoint is in the server behind it
        Document stored = mongo().getDatabase(ids().systemDatabase()).getCollection("topics")
                .find(Filters.eq("_id", topic)).first();
        assertThat(stored).isNotNull();
        assertThat(stored.getString("status")).isEqualTo("active");
        assertThat(proxy.handshakes()).isPositive();
    }

    @Test
    void withoutTheTrustStoreTheCertificateIsRefused() {
        // the JVM's authorities do not know this certificate: no connection, however long it tries
        try (MongoClient untrusting = MongoClients.create(com.mongodb.MongoClientSettings.builder(
                new MongoClientConfig(tlsUri(), null, null, null).settings())
                .applyToClusterSettings(c -> c.serverSelectionTimeout(1, TimeUnit.SECONDS)).build())) {
            assertThatThrownBy(() -> untrusting.getDatabase("admin").runCommand(new Document("ping", 1)))
                    .hasMessageContaining("SSL");
        }
        // and with it, the same URI connects
        try (MongoClient trusting = MongoClients.create(new MongoClientConfig(tlsUri(),
                certificates.truststore().toString(), PASSWORD, "PKCS12").settings())) {
            assertThat(trusting.getDatabase("admin").runCommand(new Document("ping", 1)).get("ok"))
                    .isIn(1, 1.0);
        }
    }
}
