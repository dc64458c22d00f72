package dev.lifespan.validator.jose;

import com.google.crypto.tink.subtle.Ed25519Verify;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Map;

/** Checks a JWS signature with a public key given as JWK members. Thread-safe. */
public interface JwsVerifier {
    boolean verify(byte[] signingInput, byte[] signature);

    /** The JWS algorithms Lifespan signs with; anything else is never verified. */
    java.util.Set<String> SUPPORTED = java.util.Set.of("EdDSA", "ES256", "RS256", "PS256");

    /**
     * A verifier for the public JWK of a key of this {@code alg}.
     *
     * @throws IllegalArgumentException for an unsupported algorithm or an unusable key
     */
    static JwsVerifier of(String algorithm, Map<String, ?> jwk) {
        try {
            return switch (algorithm) {
                case "EdDSA" -> {
                    Ed25519Verify verify = new Ed25519Verify(Base64Url.decodeCanonical((String) jwk.get("x")));
                    yield (input, signature) -> {
                        try {
                            verify.verify(signature, input);
                            return true;
                        } catch (GeneralSecurityException e) {
                            return false;
                        }
                    };
                }
                case "ES256" -> {
                    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                    params.init(new ECGenParameterSpec("secp256r1"));
                    ECPoint point = new ECPoint(unsigned(jwk.get("x")), unsigned(jwk.get("y")));
                    PublicKey key = KeyFactory.getInstance("EC")
                            .generatePublic(new ECPublicKeySpec(point, params.getParameterSpec(ECParameterSpec.class)));
                    yield jdk("SHA256withECDSAinP1363Format", null, key);
                }
                case "RS256", "PS256" -> {
                    PublicKey key = KeyFactory.getInstance("RSA")
                            .generatePublic(new RSAPublicKeySpec(unsigned(jwk.get("n")), unsigned(jwk.get("e"))));
                    yield algorithm.equals("RS256") ? jdk("SHA256withRSA", null, key)
                            : jdk("RSASSA-PSS", new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1), key);
                }
                default -> throw new IllegalArgumentException("unsupported alg " + algorithm);
            };
        } catch (GeneralSecurityException | ClassCastException | NullPointerException | IllegalArgumentException e) {
            throw new IllegalArgumentException("Unusable public " + algorithm + " key", e);
        }
    }

    private static BigInteger unsigned(Object base64url) {
        return new BigInteger(1, Base64Url.decodeCanonical((String) base64url));
    }

    private static JwsVerifier jdk(String algorithm, PSSParameterSpec params, PublicKey key) {
        // One initialised Signature per thread: creating and initialising one per token costs a
        // measurable share of an ES256 verification (bench/README.md, validator benchmark).
        ThreadLocal<Signature> signatures = ThreadLocal.withInitial(() -> {
            try {
                Signature s = Signature.getInstance(algorithm);
                if (params != null) {
                    s.setParameter(params);
                }
                s.initVerify(key);
                return s;
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("unusable public key", e);
            }
        });
        signatures.get();
        return (input, signature) -> {
            Signature s = signatures.get();
            try {
                s.update(input);
                return s.verify(signature);
            } catch (GeneralSecurityException e) {
                // A malformed signature leaves the object mid-operation: start it afresh.
                signatures.remove();
                return false;
            }
        };
    }
}
