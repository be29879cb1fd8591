package io.fineas.pipeline.support;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A server's key pair and self-signed certificate for localhost and 127.0.0.1, and a trust store that holds the
 * certificate, made with the JDK's keytool as an operator makes them.
 *
 * @param keystore the server's key and certificate (PKCS12)
 * @param truststore the certificate alone, for clients to trust (PKCS12)
 */
public record TestCertificates(Path keystore, Path truststore) {

    /** Both stores in {@code dir}, under one password. */
    public static TestCertificates issue(Path dir, String name, String password) {
        Path keystore = dir.resolve(name + ".p12");
        Path certificate = dir.resolve(name + ".crt");
        Path truststore = dir.resolve(name + "-trust.p12");
        try {
            keytool("-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                    "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                    "-keystore", keystore.toString(), "-storepass", password, "-keypass", password);
            keytool("-exportcert", "-alias", name, "-keystore", keystore.toString(), "-storepass", password,
                    "-file", certificate.toString());
            keytool("-importcert", "-noprompt", "-alias", name, "-file", certificate.toString(), "-storetype",
                    "PKCS12", "-keystore", truststore.toString(), "-storepass", password);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
        return new TestCertificates(keystore, truststore);
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
