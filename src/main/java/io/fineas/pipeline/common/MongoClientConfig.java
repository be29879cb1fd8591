package io.fineas.pipeline.common;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;

/**
 * The MongoDB client's settings: the URI says everything the driver reads from it (hosts, replica set, credentials and
 * authSource, {@code tls=true}, timeouts, read and write concerns). The one thing a URI cannot carry for the Java
 * driver is the certificate authority a private MongoDB's certificate is checked against (the driver has no
 * {@code tlsCAFile}): with MONGODB_TLS_TRUSTSTORE_* set, that trust store is used instead of the JVM's.
 */
public record MongoClientConfig(String uri, String truststoreLocation, String truststorePassword,
        String truststoreType) {

    /** The client's settings (the trust store read once, here). */
    public MongoClientSettings settings() {
        MongoClientSettings.Builder builder = MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(uri));
        if (truststoreLocation != null && !truststoreLocation.isBlank()) {
            SSLContext context = sslContext();
            builder.applyToSslSettings(ssl -> ssl.context(context));
        }
        return builder.build();
    }

    private SSLContext sslContext() {
        try (InputStream in = Files.newInputStream(Path.of(truststoreLocation))) {
            KeyStore trust = KeyStore.getInstance(truststoreType == null || truststoreType.isBlank() ? "PKCS12"
                    : truststoreType);
            trust.load(in, truststorePassword == null ? null : truststorePassword.toCharArray());
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new UncheckedIOException("MONGODB_TLS_TRUSTSTORE_LOCATION " + truststoreLocation
                    + " cannot be read: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("MONGODB_TLS_TRUSTSTORE_LOCATION " + truststoreLocation
                    + " is not a usable trust store: " + e.getMessage(), e);
        }
    }
}
