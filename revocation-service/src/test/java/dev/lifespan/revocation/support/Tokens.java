package dev.lifespan.revocation.support;

import com.google.crypto.tink.subtle.Ed25519Sign;
import dev.lifespan.validator.jose.Base64Url;
import io.quarkus.arc.Arc;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;

/** Access tokens signed with {@link JwksTestResource}'s key, as the issuer would sign them. */
public final class Tokens {
    private Tokens() {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    /** A standard Lifespan id: 128 random bits, 22 characters of base64url. */
    public static String randomId() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64Url.encode(bytes);
    }

    private static Instant serviceNow() {
        var container = Arc.container();
        return container != null && container.isRunning() ? container.instance(MutableClock.class).get().instant() : Instant.now();
    }

    public record Token(String compact, String subject, String tokenId, String sessionId, String clientId, Instant issuedAt,
            Instant expiresAt) {
    }

    /** A token for {@code audience}, issued now (whole seconds) for 10 minutes, with fresh ids. */
    public static Token sign(String privateKeyBase64Url, String audience) {
        return sign(privateKeyBase64Url, audience, Rules.unique("user"), "orders-web", "orders:read orders:write");
    }

    /**
     * A Lifespan service token, as the issuer mints for a client's own use (subject = client id), for
     * {@code audience} with the space-separated {@code scope}.
     */
    public static Token service(String privateKeyBase64Url, String audience, String clientId, String scope) {
        return sign(privateKeyBase64Url, audience, clientId, clientId, scope);
    }

    /**
     * A token issued now by the service's clock (whole seconds) for 10 minutes, with fresh {@code jti} and {@code sid}.
     * Tests move that clock forward; a token stamped with the real time would then look expired to the service.
     */
    public static Token sign(String privateKeyBase64Url, String audience, String sub, String clientId, String scope) {
        Instant iat = Instant.ofEpochSecond(serviceNow().getEpochSecond());
        Instant exp = iat.plusSeconds(600);
        String jti = randomId();
        String sid = randomId();
        String header = "{\"alg\":\"EdDSA\",\"kid\":\"" + JwksTestResource.KID + "\",\"typ\":\"at+jwt\"}";
        String claims = "{\"iss\":\"" + JwksTestResource.ISSUER + "\",\"sub\":\"" + sub + "\",\"aud\":[\"" + audience + "\"],"
                + "\"exp\":" + exp.getEpochSecond() + ",\"iat\":" + iat.getEpochSecond() + ",\"nbf\":" + iat.getEpochSecond() + ","
                + "\"jti\":\"" + jti + "\",\"sid\":\"" + sid + "\",\"client_id\":\"" + clientId + "\",\"scope\":\"" + scope + "\"}";
        String signingInput = Base64Url.encode(header.getBytes(StandardCharsets.UTF_8)) + "."
                + Base64Url.encode(claims.getBytes(StandardCharsets.UTF_8));
        try {
            byte[] signature = new Ed25519Sign(Base64Url.decodeCanonical(privateKeyBase64Url))
                    .sign(signingInput.getBytes(StandardCharsets.US_ASCII));
            return new Token(signingInput + "." + Base64Url.encode(signature), sub, jti, sid, clientId, iat, exp);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
