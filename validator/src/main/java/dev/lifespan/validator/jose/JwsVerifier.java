package dev.lifespan.validator.jose;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Map;
import java.util.Set;

/**
 * Checks a JWS signature with a public key given as JWK members. Thread-safe.
 *
 * <p>EdDSA goes through Tink; ES256, RS256 and PS256 through {@link JcaProvider#selected()}: Conscrypt when it is on
 * the class path and loads, otherwise the JDK.
 */
public interface JwsVerifier {
    boolean verify(byte[] signingInput, byte[] signature);

    /**
     * Who checks the signatures: {@code Tink}, or the name of the JCA provider ({@code Conscrypt}, {@code SunEC},
     * {@code SunRsaSign}, ...).
     */
    default String provider() {
        return "unspecified";
    }

    /** The JWS algorithms Lifespan signs with; anything else is never verified. */
    Set<String> SUPPORTED = Set.of("EdDSA", "ES256", "RS256", "PS256");

    /**
     * A verifier for the public JWK of a key of this {@code alg}, with the JVM's {@link JcaProvider#selected()}.
     *
     * @throws IllegalArgumentException for an unsupported algorithm or an unusable key
     */
    static JwsVerifier of(String algorithm, Map<String, ?> jwk) {
        return of(algorithm, jwk, JcaProvider.selected());
    }

    /**
     * A verifier for the public JWK of a key of this {@code alg}, checking ES256, RS256 and PS256 with the given
     * provider (EdDSA always with Tink). A key Conscrypt refuses that the JDK accepts is verified by the JDK.
     *
     * @throws IllegalArgumentException for an unsupported algorithm or an unusable key
     * @throws IllegalStateException when {@code provider} is not {@link JcaProvider#isAvailable() available}
     */
    static JwsVerifier of(String algorithm, Map<String, ?> jwk, JcaProvider provider) {
        if (!provider.isAvailable()) {
            throw new IllegalStateException(provider.description());
        }
        try {
            return switch (algorithm) {
                case "EdDSA" -> new TinkEd25519Verifier(Base64Url.decodeCanonical((String) jwk.get("x")));
                case "ES256" -> {
                    Object crv = jwk.get("crv");
                    if (crv != null && !"P-256".equals(crv)) {
                        throw new IllegalArgumentException("ES256 needs a P-256 key, not " + crv);
                    }
                    BigInteger x = unsigned(jwk.get("x"));
                    BigInteger y = unsigned(jwk.get("y"));
                    if (!EcdsaP256.isOnCurve(x, y)) {
                        throw new IllegalArgumentException("point not on P-256");
                    }
                    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
                    params.init(new ECGenParameterSpec("secp256r1"));
                    PublicKey key = KeyFactory.getInstance("EC").generatePublic(
                            new ECPublicKeySpec(new ECPoint(x, y), params.getParameterSpec(ECParameterSpec.class)));
                    yield JcaVerifier.of(JcaVerifier.Scheme.ES256, key, provider);
                }
                case "RS256", "PS256" -> {
                    PublicKey key = KeyFactory.getInstance("RSA")
                            .generatePublic(new RSAPublicKeySpec(unsigned(jwk.get("n")), unsigned(jwk.get("e"))));
                    yield JcaVerifier.of(algorithm.equals("RS256") ? JcaVerifier.Scheme.RS256 : JcaVerifier.Scheme.PS256,
                            key, provider);
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
}
