package io.fineas.pipeline.bench;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.fineas.pipeline.network.Envelopes;
import io.fineas.pipeline.network.NodeKeys;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ed25519 verifications per second of submission envelopes, one thread: the JDK's provider (SunEC, what the gateway
 * uses), BouncyCastle through JCA, and BouncyCastle's own API, measured alternately in the same JVM after a warm-up.
 * Run with: mvn -B verify -Pbench -Dbench=SignatureBenchmark
 */
class SignatureBenchmark {

    private static final int MESSAGES = 512;
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
    private static final int PER_ROUND = Integer.getInteger("bench.verifications", 20_000);

    private interface Verifier {
        boolean verify(int i) throws Exception;
    }

    @Test
    void ed25519VerificationJdkAgainstBouncyCastle() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] raw = Arrays.copyOfRange(pair.getPublic().getEncoded(), 12, 44);
        List<byte[]> texts = new ArrayList<>();
        List<byte[]> signatures = new ArrayList<>();
        Signature signer = Signature.getInstance("Ed25519");
        for (int i = 0; i < MESSAGES; i++) {
            String text = Envelopes.submission(String.format("%032x", i), Map.of("page", "p" + i), "ab".repeat(32),
                    "2026-12-02T20:00:00Z", "node-0123456789abcdef", NodeKeys.nonce());
            signer.initSign(pair.getPrivate());
            signer.update(text.getBytes(StandardCharsets.UTF_8));
            texts.add(text.getBytes(StandardCharsets.UTF_8));
            signatures.add(signer.sign());
        }
        Signature jdk = Signature.getInstance("Ed25519");
        Signature bcJca = Signature.getInstance("Ed25519", new BouncyCastleProvider());
        java.security.PublicKey bcKey = java.security.KeyFactory.getInstance("Ed25519", new BouncyCastleProvider())
                .generatePublic(new java.security.spec.X509EncodedKeySpec(pair.getPublic().getEncoded()));
        Ed25519PublicKeyParameters bcParams = new Ed25519PublicKeyParameters(raw, 0);
        Ed25519Signer bcLight = new Ed25519Signer();
        Verifier[] verifiers = {
            i -> {
                jdk.initVerify(pair.getPublic());
                jdk.update(texts.get(i));
                return jdk.verify(signatures.get(i));
            },
            i -> {
                bcJca.initVerify(bcKey);
                bcJca.update(texts.get(i));
                return bcJca.verify(signatures.get(i));
            },
            i -> {
                bcLight.init(false, bcParams);
                byte[] t = texts.get(i);
                bcLight.update(t, 0, t.length);
                return bcLight.verifySignature(signatures.get(i));
            }};
        String[] names = {"JDK (SunEC)", "BouncyCastle 1.87 via JCA", "BouncyCastle 1.87 lightweight API"};
        double[] best = new double[verifiers.length];
        for (int round = -2; round < ROUNDS; round++) {
            for (int v = 0; v < verifiers.length; v++) {
                long start = System.nanoTime();
                for (int n = 0; n < PER_ROUND; n++) {
                    assertThat(verifiers[v].verify(n % MESSAGES)).isTrue();
                }
                double perSecond = PER_ROUND / ((System.nanoTime() - start) / 1e9);
                if (round >= 0) {
                    best[v] = Math.max(best[v], perSecond);
                }
            }
        }
        StringBuilder report = new StringBuilder("| provider | verifications/s (best of " + ROUNDS
                + " rounds of " + PER_ROUND + ", one thread) | ratio to the JDK |\n|---|---|---|\n");
        for (int v = 0; v < verifiers.length; v++) {
            report.append(String.format("| %s | %.0f | %.2f |%n", names[v], best[v], best[v] / best[0]));
        }
        System.out.println(report);
        CollectBenchmark.write("signature", report.toString());
    }
}
