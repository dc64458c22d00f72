package dev.lifespan.audit.verifier;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Ed25519 keys of checkpoints in their interchange forms: a public key as PEM {@code PUBLIC KEY} (X.509
 * SubjectPublicKeyInfo, what {@code openssl pkey -pubout} writes) or its base64 DER; a private key as PEM
 * {@code PRIVATE KEY} (PKCS#8, what {@code openssl genpkey -algorithm ed25519} writes) or its base64 DER.
 * The key id is the first 16 hex digits of SHA-256 over the raw 32-byte public key.
 */
public final class CheckpointKeys {
    /** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows. */
    private static final byte[] SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    /** DER prefix of an Ed25519 PKCS#8 v1 private key without the public key; the 32-byte seed follows. */
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private CheckpointKeys() {
    }

    /** Reads a public key from PEM or base64 DER text. */
    public static PublicKey publicKey(String text) {
        byte[] der = der(text, "PUBLIC KEY");
        if (der.length != SPKI_PREFIX.length + 32 || !Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new IllegalArgumentException("not an Ed25519 public key (expected a 44-byte X.509 SubjectPublicKeyInfo)");
        }
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    /** Reads a private key from PEM or base64 DER text (PKCS#8). */
    public static PrivateKey privateKey(String text) {
        try {
            return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der(text, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 private key (PKCS#8): " + e.getMessage(), e);
        }
    }

    /** The 32-byte seed of a PKCS#8 Ed25519 private key (the form without an embedded public key). */
    public static byte[] seed(PrivateKey key) {
        byte[] der = key.getEncoded();
        if (der.length != PKCS8_PREFIX.length + 32 || !Arrays.equals(der, 0, PKCS8_PREFIX.length, PKCS8_PREFIX, 0, PKCS8_PREFIX.length)) {
            throw new IllegalArgumentException("not a plain PKCS#8 Ed25519 private key");
        }
        return Arrays.copyOfRange(der, PKCS8_PREFIX.length, der.length);
    }

    /** A PKCS#8 private key from its 32-byte seed. */
    public static PrivateKey privateKeyFromSeed(byte[] seed) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("an Ed25519 seed is 32 bytes");
        }
        byte[] der = Arrays.copyOf(PKCS8_PREFIX, PKCS8_PREFIX.length + 32);
        System.arraycopy(seed, 0, der, PKCS8_PREFIX.length, 32);
        return privateKey(Base64.getEncoder().encodeToString(der));
    }

    /** A public key from its raw 32 bytes. */
    public static PublicKey publicKeyFromRaw(byte[] raw) {
        if (raw.length != 32) {
            throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
        }
        byte[] der = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 32);
        System.arraycopy(raw, 0, der, SPKI_PREFIX.length, 32);
        return publicKey(Base64.getEncoder().encodeToString(der));
    }

    /** The raw 32 bytes of a public key. */
    public static byte[] raw(PublicKey key) {
        byte[] der = key.getEncoded();
        return Arrays.copyOfRange(der, der.length - 32, der.length);
    }

    /** The key id: the first 16 hex digits of SHA-256 over the raw public key. */
    public static String keyId(PublicKey key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw(key))).substring(0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of a public key. */
    public static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static byte[] der(String text, String label) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no key given");
        }
        String body = text.strip();
        if (body.startsWith("-----BEGIN ")) {
            String begin = "-----BEGIN " + label + "-----";
            String end = "-----END " + label + "-----";
            int from = body.indexOf(begin);
            int to = body.indexOf(end);
            if (from < 0 || to < from) {
                throw new IllegalArgumentException("expected a PEM block labelled " + label);
            }
            body = body.substring(from + begin.length(), to);
        }
        try {
            return Base64.getMimeDecoder().decode(body.replaceAll("\\s", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key is neither PEM nor base64", e);
        }
    }
}
