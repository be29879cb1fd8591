package io.fineas.pipeline.network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

import io.fineas.pipeline.common.Hashes;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A node's Ed25519 identity: the key pair kept in its data folder (the private key readable by its user only), its
 * public key as 32 raw bytes in base64url (what the network knows it by) and its node id, derived from the public key
 * ({@code node-} and the first 16 hex characters of its SHA-256), so that an id cannot be claimed without the key.
 * Keys and signatures are the JDK's Ed25519; verification is BouncyCastle's (docs/BENCHMARKS.md: 8x the JDK's).
 */
public final class NodeKeys {

    /** The X.509 prefix of an Ed25519 public key (RFC 8410): what comes before its 32 raw bytes. */
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private final KeyPair pair;
    private final String publicKey;

    private NodeKeys(KeyPair pair) {
        this.pair = pair;
        this.publicKey = B64.encodeToString(raw(pair.getPublic()));
    }

    public static NodeKeys generate() {
        try {
            return new NodeKeys(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is part of every Java 17 runtime", e);
        }
    }

    /**
     * The node's keys in {@code folder} (node.key, node.pub), made at the first start: the private key file is
     * created readable and writable by its owner only, before anything is written to it.
     *
     * @return the keys, and whether they were made now
     */
    public static NodeKeys loadOrCreate(Path folder) throws IOException {
        Path key = folder.resolve("node.key");
        Path pub = folder.resolve("node.pub");
        try {
            KeyFactory factory = KeyFactory.getInstance("Ed25519");
            if (Files.exists(key)) {
                PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(key)));
                PublicKey publicKey = publicKey(Files.readString(pub).trim());
                return new NodeKeys(new KeyPair(publicKey, priv));
            }
            Files.createDirectories(folder);
            NodeKeys made = generate();
            Path tmp = folder.resolve("node.key.tmp");
            Files.deleteIfExists(tmp);
            try {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(tmp);
            }
            Files.write(tmp, made.pair.getPrivate().getEncoded());
            Files.writeString(pub, made.publicKey + "\n");
            Files.move(tmp, key, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return made;
        } catch (GeneralSecurityException e) {
            throw new IOException("the node key in " + folder + " cannot be read: " + e.getMessage(), e);
        }
    }

    public String publicKey() {
        return publicKey;
    }

    public String nodeId() {
        return nodeId(publicKey);
    }

    /** The node id of a public key (base64url of its 32 raw bytes). */
    public static String nodeId(String publicKey) {
        return "node-" + Hashes.sha256Hex(publicKey).substring(0, 16);
    }

    /** The base64url Ed25519 signature of the text's UTF-8 bytes. */
    public String sign(String text) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(pair.getPrivate());
            s.update(text.getBytes(StandardCharsets.UTF_8));
            return B64.encodeToString(s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the node key", e);
        }
    }

    /**
     * Whether the signature (base64url) is the key's over the text; false for anything malformed. Verified with
     * BouncyCastle's Ed25519 (RFC 8032, the same signatures as the JDK's): 8 times the JDK 17 provider's rate on the
     * gateway's hot path (docs/BENCHMARKS.md, SignatureBenchmark).
     */
    public static boolean verify(String publicKey, String text, String signature) {
        if (publicKey == null || text == null || signature == null) {
            return false;
        }
        try {
            byte[] raw = B64D.decode(publicKey);
            byte[] sig = B64D.decode(signature);
            if (raw.length != 32 || sig.length != 64) {
                return false;
            }
            Ed25519Signer verifier = new Ed25519Signer();
            verifier.init(false, new Ed25519PublicKeyParameters(raw, 0));
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            verifier.update(bytes, 0, bytes.length);
            return verifier.verifySignature(sig);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A public key from its base64url raw form; IllegalArgumentException when it is not 32 bytes of base64url. */
    public static PublicKey publicKey(String base64url) {
        byte[] raw = B64D.decode(base64url);
        if (raw.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + 32);
        System.arraycopy(raw, 0, encoded, X509_PREFIX.length, 32);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key", e);
        }
    }

    private static byte[] raw(PublicKey key) {
        byte[] encoded = key.getEncoded();
        return Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
    }

    /** A fresh random nonce (16 bytes, base64url). */
    public static String nonce() {
        byte[] b = new byte[16];
        new java.security.SecureRandom().nextBytes(b);
        return B64.encodeToString(b);
    }
}
