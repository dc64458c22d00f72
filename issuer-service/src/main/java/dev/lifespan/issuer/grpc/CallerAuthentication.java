package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.issuer.error.ErrorKind;
import dev.lifespan.issuer.error.IssuerException;
import dev.lifespan.issuer.key.LoadedKey;
import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.issuer.time.Clocks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;

/**
 * Checks the service token a caller of a privileged RPC presents: a Lifespan access token this
 * issuer signed, with the expected audience and the RPC's scope. The issuer holds its own keys,
 * so the check needs no network call. (Revocation of caller tokens arrives with the validator
 * library, which replaces this class.)
 */
@Singleton
public class CallerAuthentication {
    static final int MAX_TOKEN_LENGTH = 8192;

    private final SigningKeyRing keys;
    private final InstantSource clock;
    private final String issuer;
    private final String audience;
    private final Duration skew;

    public CallerAuthentication(SigningKeyRing keys, InstantSource clock, LifespanConfig config) {
        this.keys = keys;
        this.clock = clock;
        this.issuer = config.issuer();
        this.audience = config.callerAuth().audience();
        this.skew = config.clockSkew();
    }

    /** The authenticated caller's client id, or an UNAUTHENTICATED / PERMISSION_DENIED error. */
    public String authenticate(String authorization, String requiredScope) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("a Lifespan service token is required (authorization: Bearer)");
        }
        String token = authorization.substring(7).trim();
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw unauthenticated("token too large");
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw unauthenticated("malformed token");
        }
        JsonObject header;
        JsonObject claims;
        byte[] signature;
        try {
            header = new JsonObject(new String(Base64Url.decodeCanonical(parts[0]), StandardCharsets.UTF_8));
            claims = new JsonObject(new String(Base64Url.decodeCanonical(parts[1]), StandardCharsets.UTF_8));
            signature = Base64Url.decodeCanonical(parts[2]);
        } catch (RuntimeException e) {
            throw unauthenticated("malformed token");
        }
        Instant now = Clocks.now(clock);
        LoadedKey key = keys.publishedKey(String.valueOf(header.getValue("kid")), now)
                .orElseThrow(() -> unauthenticated("unknown signing key"));
        if (!key.times().algorithm().joseName().equals(header.getValue("alg")) || !"at+jwt".equals(header.getValue("typ"))) {
            throw unauthenticated("wrong token type or algorithm");
        }
        byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
        if (!key.verifier().verify(signingInput, signature)) {
            throw unauthenticated("bad signature");
        }
        try {
            if (!issuer.equals(claims.getString("iss")) || !audiences(claims).contains(audience)) {
                throw unauthenticated("token is not for this issuer");
            }
            long exp = claims.getLong("exp");
            long nbf = claims.getLong("nbf", claims.getLong("iat"));
            if (now.minus(skew).getEpochSecond() >= exp || now.plus(skew).getEpochSecond() < nbf) {
                throw unauthenticated("token expired or not yet valid");
            }
            List<String> scopes = Arrays.asList(claims.getString("scope", "").split(" "));
            if (!scopes.contains(requiredScope)) {
                throw new IssuerException(ErrorKind.INSUFFICIENT_SCOPE, "scope " + requiredScope + " is required");
            }
            return claims.getString("client_id");
        } catch (ClassCastException | NullPointerException e) {
            throw unauthenticated("token lacks required claims");
        }
    }

    private static List<String> audiences(JsonObject claims) {
        Object aud = claims.getValue("aud");
        if (aud instanceof JsonArray array) {
            return array.stream().map(String::valueOf).toList();
        }
        return aud == null ? List.of() : List.of(String.valueOf(aud));
    }

    private static IssuerException unauthenticated(String why) {
        return new IssuerException(ErrorKind.INVALID_CLIENT, "caller not authenticated: " + why);
    }
}
