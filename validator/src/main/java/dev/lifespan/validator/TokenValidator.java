package dev.lifespan.validator;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.validator.report.ValidationFailureReporter;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import static dev.lifespan.api.v1.ValidationFailure.ALG_NOT_ALLOWED;
import static dev.lifespan.api.v1.ValidationFailure.BAD_SIGNATURE;
import static dev.lifespan.api.v1.ValidationFailure.EXPIRED;
import static dev.lifespan.api.v1.ValidationFailure.MALFORMED;
import static dev.lifespan.api.v1.ValidationFailure.MISSING_CLAIM;
import static dev.lifespan.api.v1.ValidationFailure.NOT_YET_VALID;
import static dev.lifespan.api.v1.ValidationFailure.UNKNOWN_KID;
import static dev.lifespan.api.v1.ValidationFailure.WRONG_AUDIENCE;
import static dev.lifespan.api.v1.ValidationFailure.WRONG_ISSUER;
import static dev.lifespan.api.v1.ValidationFailure.WRONG_TYPE;

/**
 * Validates Lifespan access tokens with no network call on the hot path, checking in exactly the
 * contract's order and stopping at the first failure:
 *
 * <ol>
 *   <li>size limit</li>
 *   <li>well-formed compact JWS: three segments of canonical unpadded base64url, JSON header and payload</li>
 *   <li>{@code alg} in the allow-list (never {@code none}, never HMAC)</li>
 *   <li>{@code kid} known (unknown: the key source refetches, rate-limited)</li>
 *   <li>signature, with the key's own algorithm</li>
 *   <li>{@code typ} is {@code at+jwt}</li>
 *   <li>{@code iss}</li>
 *   <li>{@code aud} contains the expected audience</li>
 *   <li>{@code exp}, {@code nbf}, {@code iat} within the clock skew</li>
 *   <li>required claims present and well-typed</li>
 *   <li>revocation rules</li>
 * </ol>
 *
 * A token presented again hits the verified-token cache and skips steps 2–7 and 10, never 8, 9 or 11.
 * Thread-safe; the clock is injected so time rules are tested without waiting.
 */
public final class TokenValidator {
    // Strict JSON: trailing bytes after the object and duplicate member names (a second "alg" or
    // "sub" read differently by another parser) make a token malformed.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final ValidatorSettings settings;
    private final KeySource keys;
    private final RevocationCheck revocation;
    private final InstantSource clock;
    private final VerifiedTokenCache cache;
    private final ValidationFailureReporter failures;

    public TokenValidator(ValidatorSettings settings, KeySource keys, RevocationCheck revocation, InstantSource clock) {
        this(settings, keys, revocation, clock, ValidationFailureReporter.NONE);
    }

    /** @param failures told of every refused token (for example a {@link ValidationFailureTally}) */
    public TokenValidator(ValidatorSettings settings, KeySource keys, RevocationCheck revocation, InstantSource clock,
            ValidationFailureReporter failures) {
        this.settings = settings;
        this.keys = keys;
        this.revocation = revocation;
        this.clock = clock;
        this.failures = Objects.requireNonNull(failures, "failures");
        this.cache = new VerifiedTokenCache(settings.verifiedCacheSize());
    }

    /** Validates a token presented to a resource server of {@code expectedAudience}. */
    public ValidationResult validate(String token, String expectedAudience) {
        if (expectedAudience == null || expectedAudience.isEmpty()) {
            throw new IllegalArgumentException("an expected audience is required; use validateForIntrospection for any audience");
        }
        return run(token, expectedAudience);
    }

    /**
     * Every check but the audience: for token introspection (RFC 7662), where the caller asks about
     * a token meant for any audience and receives the audience in the answer.
     */
    public ValidationResult validateForIntrospection(String token) {
        return run(token, null);
    }

    private ValidationResult run(String token, String expectedAudience) {
        Instant now = clock.instant();
        if (token == null || token.isEmpty() || token.length() > settings.maxTokenBytes()) {
            return refused(ValidationResult.invalid(MALFORMED, "token missing or larger than " + settings.maxTokenBytes() + " bytes"),
                    expectedAudience, null);
        }
        ByteBuffer cacheKey = cache.key(token);
        VerifiedClaims claims = cache.get(cacheKey, now);
        if (claims == null) {
            Verification verification = verify(token, now);
            if (verification.failure != null) {
                return refused(verification.failure, expectedAudience, null);
            }
            claims = verification.claims;
            ValidationResult refusal = checkAudience(claims, expectedAudience);
            if (refusal == null) {
                refusal = checkTime(verification.exp, verification.nbf, verification.iat, now);
            }
            if (refusal == null && verification.missingClaim != null) {
                refusal = ValidationResult.invalid(MISSING_CLAIM, verification.missingClaim);
            }
            if (refusal != null) {
                return refused(refusal, expectedAudience, claims);
            }
            cache.put(cacheKey, claims, now);
        } else {
            ValidationResult refusal = checkAudience(claims, expectedAudience);
            if (refusal == null) {
                refusal = checkTime(claims.expiresAt().getEpochSecond(), claims.notBefore().getEpochSecond(),
                        claims.issuedAt().getEpochSecond(), now);
            }
            if (refusal != null) {
                return refused(refusal, expectedAudience, claims);
            }
        }
        Optional<ValidationFailure> revoked = revocation.check(claims, now);
        if (revoked.isPresent()) {
            return refused(ValidationResult.invalid(revoked.get(), ValidationResult.revocationDetail(revoked.get())), expectedAudience, claims);
        }
        return ValidationResult.valid(claims);
    }

    /** Reports a refusal; {@code signed} only when the signature verified. */
    private ValidationResult refused(ValidationResult refusal, String expectedAudience, VerifiedClaims signed) {
        failures.failed(refusal.failure(), expectedAudience, signed);
        return refusal;
    }

    /** Tokens currently in the verified cache. */
    public int cachedTokens() {
        return cache.size();
    }

    private static final class Verification {
        ValidationResult failure;
        VerifiedClaims claims;
        Long exp;
        Long nbf;
        Long iat;
        String missingClaim;
    }

    private Verification verify(String token, Instant now) {
        Verification v = new Verification();
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) >= 0) {
            v.failure = ValidationResult.invalid(MALFORMED, "not a compact JWS of three segments");
            return v;
        }
        JsonNode header;
        JsonNode payload;
        byte[] signature;
        try {
            header = JSON.readTree(Base64Url.decodeCanonical(token.substring(0, first)));
            payload = JSON.readTree(Base64Url.decodeCanonical(token.substring(first + 1, second)));
            signature = Base64Url.decodeCanonical(token.substring(second + 1));
        } catch (Exception e) {
            v.failure = ValidationResult.invalid(MALFORMED, "segments are not canonical base64url JSON");
            return v;
        }
        if (header == null || !header.isObject() || payload == null || !payload.isObject()) {
            v.failure = ValidationResult.invalid(MALFORMED, "header or payload is not a JSON object");
            return v;
        }
        String alg = header.path("alg").isTextual() ? header.get("alg").asText() : null;
        if (alg == null || !settings.allowedAlgorithms().contains(alg)) {
            v.failure = ValidationResult.invalid(ALG_NOT_ALLOWED, "alg " + alg + " is not allowed");
            return v;
        }
        String kid = header.path("kid").isTextual() ? header.get("kid").asText() : null;
        Optional<VerificationKey> key = kid == null ? Optional.empty() : keys.key(kid);
        if (key.isEmpty()) {
            v.failure = ValidationResult.invalid(UNKNOWN_KID, "unknown signing key");
            return v;
        }
        if (!key.get().algorithm().equals(alg)) {
            // The key may only verify its own algorithm: no HS256 with the public key as secret, no swaps.
            v.failure = ValidationResult.invalid(ALG_NOT_ALLOWED, "alg " + alg + " does not match the key's algorithm");
            return v;
        }
        if (!key.get().verifier().verify(token.substring(0, second).getBytes(StandardCharsets.US_ASCII), signature)) {
            v.failure = ValidationResult.invalid(BAD_SIGNATURE, "signature does not verify");
            return v;
        }
        if (!"at+jwt".equals(header.path("typ").asText(null))) {
            v.failure = ValidationResult.invalid(WRONG_TYPE, "typ is not at+jwt");
            return v;
        }
        if (!settings.issuer().equals(payload.path("iss").asText(null)) || !payload.path("iss").isTextual()) {
            v.failure = ValidationResult.invalid(WRONG_ISSUER, "unexpected issuer");
            return v;
        }
        v.exp = number(payload, "exp");
        v.nbf = number(payload, "nbf");
        v.iat = number(payload, "iat");
        v.missingClaim = missingClaim(payload);
        List<String> audience = audience(payload);
        v.claims = new VerifiedClaims(payload.get("iss").asText(), text(payload, "sub"), audience,
                v.exp == null ? Instant.EPOCH : Instant.ofEpochSecond(v.exp), v.iat == null ? Instant.EPOCH : Instant.ofEpochSecond(v.iat),
                Instant.ofEpochSecond(v.nbf != null ? v.nbf : v.iat != null ? v.iat : 0), text(payload, "jti"), text(payload, "sid"),
                text(payload, "client_id"), words(text(payload, "scope")),
                number(payload, "auth_time") == null ? null : Instant.ofEpochSecond(number(payload, "auth_time")),
                text(payload, "acr"), strings(payload.get("amr")), strings(payload.get("roles")), kid);
        return v;
    }

    private static ValidationResult checkAudience(VerifiedClaims claims, String expected) {
        if (expected == null) {
            return claims.audience().isEmpty() ? ValidationResult.invalid(WRONG_AUDIENCE, "token has no audience") : null;
        }
        if (!claims.audience().contains(expected)) {
            return ValidationResult.invalid(WRONG_AUDIENCE, "token is not for audience " + expected);
        }
        return null;
    }

    private ValidationResult checkTime(Long exp, Long nbf, Long iat, Instant now) {
        long skew = settings.clockSkew().getSeconds();
        long nowSeconds = now.getEpochSecond();
        if (exp != null && nowSeconds >= exp + skew) {
            return ValidationResult.invalid(EXPIRED, "token has expired");
        }
        if ((nbf != null && nbf > nowSeconds + skew) || (iat != null && iat > nowSeconds + skew)) {
            return ValidationResult.invalid(NOT_YET_VALID, "token is not valid yet");
        }
        return null;
    }

    /** The first required claim that is absent or of the wrong type, or null. */
    private static String missingClaim(JsonNode payload) {
        for (String name : new String[] {"sub", "jti", "client_id", "scope"}) {
            if (!payload.path(name).isTextual() || payload.get(name).asText().isEmpty()) {
                return "claim " + name + " is missing or not a string";
            }
        }
        for (String name : new String[] {"exp", "iat"}) {
            if (number(payload, name) == null) {
                return "claim " + name + " is missing or not a number";
            }
        }
        if (payload.has("nbf") && number(payload, "nbf") == null) {
            return "claim nbf is not a number";
        }
        if (payload.has("sid") && !payload.get("sid").isTextual()) {
            return "claim sid is not a string";
        }
        if (audience(payload).isEmpty()) {
            return "claim aud is missing or not a string or array of strings";
        }
        return null;
    }

    private static Long number(JsonNode payload, String name) {
        JsonNode node = payload.get(name);
        return node != null && node.isIntegralNumber() && node.canConvertToLong() ? node.asLong() : null;
    }

    private static String text(JsonNode payload, String name) {
        JsonNode node = payload.get(name);
        return node != null && node.isTextual() ? node.asText() : null;
    }

    private static List<String> audience(JsonNode payload) {
        JsonNode aud = payload.get("aud");
        if (aud != null && aud.isTextual()) {
            return List.of(aud.asText());
        }
        List<String> values = strings(aud);
        return values.size() == (aud == null ? 0 : aud.size()) ? values : List.of();
    }

    private static List<String> strings(JsonNode node) {
        if (node == null || !node.isArray()) {
            return List.of();
        }
        List<String> values = new ArrayList<>(node.size());
        node.forEach(n -> {
            if (n.isTextual()) {
                values.add(n.asText());
            }
        });
        return List.copyOf(values);
    }

    private static List<String> words(String spaceSeparated) {
        return spaceSeparated == null || spaceSeparated.isEmpty() ? List.of() : List.of(spaceSeparated.split(" "));
    }
}
