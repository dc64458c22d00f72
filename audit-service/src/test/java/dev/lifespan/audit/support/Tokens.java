package dev.lifespan.audit.support;

import com.google.crypto.tink.subtle.Ed25519Sign;
import dev.lifespan.validator.jose.Base64Url;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;

/** Lifespan service tokens signed with the {@link IssuerStandIn}'s key, as the issuer signs them. */
public final class Tokens {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Tokens() {
    }

    /** A service token of {@code clientId} (subject = client id) for {@code audience} with the space-separated {@code scope}. */
    public static String service(String privateKeyBase64Url, String issuer, String kid, String audience, String clientId, String scope) {
        return service(privateKeyBase64Url, issuer, kid, audience, clientId, scope, Instant.now(), 300);
    }

    /** As above, issued at {@code issuedAt} and valid for {@code lifetimeSeconds} (an expired token: both in the past). */
    public static String service(String privateKeyBase64Url, String issuer, String kid, String audience, String clientId, String scope,
            Instant issuedAt, long lifetimeSeconds) {
        Instant iat = Instant.ofEpochSecond(issuedAt.getEpochSecond());
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String header = "{\"alg\":\"EdDSA\",\"kid\":\"" + kid + "\",\"typ\":\"at+jwt\"}";
        String claims = "{\"iss\":\"" + issuer + "\",\"sub\":\"" + clientId + "\",\"aud\":[\"" + audience + "\"],"
                + "\"exp\":" + (iat.getEpochSecond() + lifetimeSeconds) + ",\"iat\":" + iat.getEpochSecond() + ",\"nbf\":" + iat.getEpochSecond() + ","
                + "\"jti\":\"" + Base64Url.encode(id) + "\",\"client_id\":\"" + clientId + "\",\"scope\":\"" + scope + "\"}";
        String signingInput = Base64Url.encode(header.getBytes(StandardCharsets.UTF_8)) + "." + Base64Url.encode(claims.getBytes(StandardCharsets.UTF_8));
        try {
            byte[] signature = new Ed25519Sign(Base64Url.decodeCanonical(privateKeyBase64Url)).sign(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + Base64Url.encode(signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
