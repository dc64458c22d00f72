package dev.lifespan.validator.guard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.subtle.Ed25519Sign;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.VerificationKey;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.validator.jose.JwsVerifier;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** One Ed25519 signing key, tokens signed with it, and a validator that trusts it, at a fixed instant. */
final class GuardTokens {
    static final String ISSUER = "https://issuer.test";
    static final String KID = "guard-key";
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Ed25519Sign.KeyPair key;

    GuardTokens() throws Exception {
        key = Ed25519Sign.KeyPair.newKeyPair();
    }

    TokenValidator validator(RevocationCheck revocation) {
        VerificationKey verification = new VerificationKey(KID, "EdDSA",
                JwsVerifier.of("EdDSA", Map.of("x", Base64Url.encode(key.getPublicKey()))));
        return new TokenValidator(ValidatorSettings.defaults(ISSUER), kid -> KID.equals(kid) ? Optional.of(verification) : Optional.empty(),
                revocation, InstantSource.fixed(NOW));
    }

    /** Claims of a token for {@code api} issued a minute ago, valid for 15 minutes. */
    static Map<String, Object> claims() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("iss", ISSUER);
        c.put("sub", "alice");
        c.put("aud", "api");
        c.put("iat", NOW.getEpochSecond() - 60);
        c.put("exp", NOW.getEpochSecond() + 900);
        c.put("jti", "jti-1");
        c.put("sid", "sid-1");
        c.put("client_id", "web-app");
        c.put("scope", "openid api.read");
        return c;
    }

    String token(Map<String, Object> claims) throws Exception {
        return sign(Map.of("alg", "EdDSA", "kid", KID, "typ", "at+jwt"), claims);
    }

    String sign(Map<String, Object> header, Map<String, Object> claims) throws Exception {
        String input = Base64Url.encode(JSON.writeValueAsBytes(header)) + "." + Base64Url.encode(JSON.writeValueAsBytes(claims));
        return input + "." + Base64Url.encode(new Ed25519Sign(key.getPrivateKey()).sign(input.getBytes(StandardCharsets.US_ASCII)));
    }
}
