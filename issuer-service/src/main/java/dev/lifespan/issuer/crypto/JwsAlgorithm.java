package dev.lifespan.issuer.crypto;

import dev.lifespan.validator.jose.Base64Url;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.AlgorithmParameterSpec;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JWS algorithms Lifespan signs with. Each knows how to make a key pair, describe its public
 * half as a JWK and turn its stored private half back into a {@link JwsSigner}.
 *
 * <p>Private parts are stored as PKCS#8 for the JDK algorithms and as the 32-byte seed (RFC 8032's
 * private key) for Ed25519, which is signed through Bouncy Castle's RFC 8032 code: on this machine it
 * signs about 2x faster than Google Tink's, which signs about 10x faster than the JDK's
 * (bench/README.md, section 1). Ed25519 signatures are deterministic, so a seed signs exactly as it did
 * under Tink, which signed until 2026-12-04.
 */
public enum JwsAlgorithm {
    ES256("ES256", "EC"),
    EdDSA("EdDSA", "OKP"),
    RS256("RS256", "RSA"),
    PS256("PS256", "RSA");

    private static final PSSParameterSpec PSS_SHA256 =
            new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

    private final String joseName;
    private final String keyType;

    JwsAlgorithm(String joseName, String keyType) {
        this.joseName = joseName;
        this.keyType = keyType;
    }

    /** The {@code alg} header value. */
    public String joseName() {
        return joseName;
    }

    /** The JWK {@code kty}. */
    public String keyType() {
        return keyType;
    }

    /** Looks an algorithm up by its {@code alg} name, exactly. */
    public static Optional<JwsAlgorithm> fromJoseName(String name) {
        return Arrays.stream(values()).filter(a -> a.joseName.equals(name)).findFirst();
    }

    public static List<String> joseNames() {
        return Arrays.stream(values()).map(JwsAlgorithm::joseName).toList();
    }

    /** A fresh key pair: public JWK members (without kid/alg/use) and the private part to encrypt and store. */
    public GeneratedKey generate() {
        try {
            return switch (this) {
                case ES256 -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                    g.initialize(new ECGenParameterSpec("secp256r1"));
                    KeyPair pair = g.generateKeyPair();
                    ECPublicKey pub = (ECPublicKey) pair.getPublic();
                    Map<String, String> jwk = new LinkedHashMap<>();
                    jwk.put("crv", "P-256");
                    jwk.put("kty", "EC");
                    jwk.put("x", Base64Url.encode(unsigned(pub.getW().getAffineX(), 32)));
                    jwk.put("y", Base64Url.encode(unsigned(pub.getW().getAffineY(), 32)));
                    yield new GeneratedKey(this, jwk, pair.getPrivate().getEncoded());
                }
                case RS256, PS256 -> {
                    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                    g.initialize(new RSAKeyGenParameterSpec(2048, RSAKeyGenParameterSpec.F4));
                    KeyPair pair = g.generateKeyPair();
                    RSAPublicKey pub = (RSAPublicKey) pair.getPublic();
                    Map<String, String> jwk = new LinkedHashMap<>();
                    jwk.put("e", Base64Url.encode(unsigned(pub.getPublicExponent(), 0)));
                    jwk.put("kty", "RSA");
                    jwk.put("n", Base64Url.encode(unsigned(pub.getModulus(), 0)));
                    yield new GeneratedKey(this, jwk, pair.getPrivate().getEncoded());
                }
                case EdDSA -> {
                    byte[] seed = new byte[Ed25519.SECRET_KEY_SIZE];
                    Ed25519.generatePrivateKey(new SecureRandom(), seed);
                    Map<String, String> jwk = new LinkedHashMap<>();
                    jwk.put("crv", "Ed25519");
                    jwk.put("kty", "OKP");
                    jwk.put("x", Base64Url.encode(new Ed25519Signer(seed).publicKey()));
                    yield new GeneratedKey(this, jwk, seed);
                }
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Cannot generate a " + joseName + " key", e);
        }
    }

    /** A signer for a stored private part. */
    public JwsSigner signer(byte[] privatePart) {
        try {
            return switch (this) {
                case ES256 -> new JdkSigner("SHA256withECDSAinP1363Format", null, privateKey("EC", privatePart));
                case RS256 -> new JdkSigner("SHA256withRSA", null, privateKey("RSA", privatePart));
                case PS256 -> new JdkSigner("RSASSA-PSS", PSS_SHA256, privateKey("RSA", privatePart));
                case EdDSA -> new Ed25519Signer(privatePart);
            };
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Stored " + joseName + " private key is unusable", e);
        }
    }

    private static PrivateKey privateKey(String algorithm, byte[] pkcs8) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    }

    /** Big-endian unsigned bytes, left-padded to {@code length} (0: minimal length). */
    private static byte[] unsigned(BigInteger value, int length) {
        byte[] raw = value.toByteArray();
        int start = raw.length > 1 && raw[0] == 0 ? 1 : 0;
        int size = raw.length - start;
        int outLength = Math.max(size, length);
        byte[] out = new byte[outLength];
        System.arraycopy(raw, start, out, outLength - size, size);
        return out;
    }

    /** A freshly generated key: JWK public members in RFC 7638 (lexicographic) order and the private part. */
    public record GeneratedKey(JwsAlgorithm algorithm, Map<String, String> publicJwk, byte[] privatePart) {
    }

    /** Signs with a JDK {@link java.security.Signature}; one instance per thread, since they are not thread-safe. */
    private static final class JdkSigner implements JwsSigner {
        private final ThreadLocal<Signature> signatures;

        JdkSigner(String algorithm, AlgorithmParameterSpec params, PrivateKey key) throws GeneralSecurityException {
            Signature probe = Signature.getInstance(algorithm);
            if (params != null) {
                probe.setParameter(params);
            }
            probe.initSign(key);
            this.signatures = ThreadLocal.withInitial(() -> {
                try {
                    Signature s = Signature.getInstance(algorithm);
                    if (params != null) {
                        s.setParameter(params);
                    }
                    s.initSign(key);
                    return s;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public byte[] sign(byte[] signingInput) {
            try {
                Signature s = signatures.get();
                s.update(signingInput);
                return s.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Signing failed", e);
            }
        }
    }

    /**
     * Ed25519 (RFC 8032, pure) through Bouncy Castle's low-level code, with the public key derived once: signing needs
     * it, and Bouncy Castle's seed-only call would derive it again, a second scalar multiplication, for every token.
     * The static calls keep no state between signatures, so one instance serves every thread.
     */
    static final class Ed25519Signer implements JwsSigner {
        private final byte[] seed;
        private final byte[] publicKey = new byte[Ed25519.PUBLIC_KEY_SIZE];

        Ed25519Signer(byte[] seed) throws GeneralSecurityException {
            if (seed.length != Ed25519.SECRET_KEY_SIZE) {
                throw new GeneralSecurityException("an Ed25519 private key is " + Ed25519.SECRET_KEY_SIZE + " bytes, got " + seed.length);
            }
            this.seed = seed.clone();
            Ed25519.generatePublicKey(this.seed, 0, publicKey, 0);
        }

        byte[] publicKey() {
            return publicKey.clone();
        }

        @Override
        public byte[] sign(byte[] signingInput) {
            byte[] signature = new byte[Ed25519.SIGNATURE_SIZE];
            Ed25519.sign(seed, 0, publicKey, 0, signingInput, 0, signingInput.length, signature, 0);
            return signature;
        }
    }
}
