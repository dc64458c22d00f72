package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;
import io.grpc.Status;

import java.time.Duration;
import java.util.Locale;

/**
 * What {@link BearerAuthenticator} decided about one request: either the caller's verified claims,
 * or a refusal carrying everything a transport needs to answer it (RFC 6750 section 3): the HTTP
 * status, the exact {@code WWW-Authenticate} value, and a reason for gRPC status descriptions and
 * logs. No text in it ever contains the presented token.
 */
public final class Authentication {

    /** The four ways a request can end. */
    public enum Outcome {
        /** A valid token, carrying the required scope if one was asked for. */
        AUTHENTICATED,
        /** No {@code Authorization} header, or one of another scheme (RFC 6750 §3.1: a bare challenge). */
        MISSING_CREDENTIALS,
        /** A bearer token that failed validation, or a malformed {@code Bearer} header ({@code MALFORMED}). */
        INVALID_TOKEN,
        /** A valid token without the required scope: 403. */
        INSUFFICIENT_SCOPE,
        /**
         * The token could not be checked now: the node's revocation feed is stale ({@code REVOCATION_FEED_STALE}).
         * An outage, not bad credentials: 503 / {@code UNAVAILABLE} with a retry delay, never 401.
         */
        UNAVAILABLE
    }

    /** How long a caller refused for {@link Outcome#UNAVAILABLE} is told to wait before trying again. */
    public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

    private final Outcome outcome;
    private final VerifiedClaims claims;
    private final ValidationFailure failure;
    private final String description;
    private final String requiredScope;

    private Authentication(Outcome outcome, VerifiedClaims claims, ValidationFailure failure, String description,
            String requiredScope) {
        this.outcome = outcome;
        this.claims = claims;
        this.failure = failure;
        this.description = description;
        this.requiredScope = requiredScope;
    }

    static Authentication authenticated(VerifiedClaims claims) {
        return new Authentication(Outcome.AUTHENTICATED, claims, ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED, null, null);
    }

    static Authentication missingCredentials(String description) {
        return new Authentication(Outcome.MISSING_CREDENTIALS, null, ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED, description, null);
    }

    static Authentication invalidToken(ValidationFailure failure, String description) {
        Outcome outcome = failure == ValidationFailure.REVOCATION_FEED_STALE ? Outcome.UNAVAILABLE : Outcome.INVALID_TOKEN;
        return new Authentication(outcome, null, failure, description, null);
    }

    static Authentication insufficientScope(String scope) {
        return new Authentication(Outcome.INSUFFICIENT_SCOPE, null, ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED,
                "scope " + scope + " is required", scope);
    }

    public boolean isAuthenticated() {
        return outcome == Outcome.AUTHENTICATED;
    }

    public Outcome outcome() {
        return outcome;
    }

    /** The caller's claims; null unless {@linkplain #isAuthenticated() authenticated}, so a refusal cannot be mistaken for a caller. */
    public VerifiedClaims claims() {
        return claims;
    }

    /**
     * The validator's reason for {@link Outcome#INVALID_TOKEN} ({@code REVOCATION_FEED_STALE} for {@link Outcome#UNAVAILABLE});
     * {@code VALIDATION_FAILURE_UNSPECIFIED} for every other outcome.
     */
    public ValidationFailure failure() {
        return failure;
    }

    /** Human-readable detail, safe inside an RFC 7230 quoted-string (printable ASCII, no {@code "} or {@code \}); null when authenticated. */
    public String description() {
        return description;
    }

    /** The scope that was missing, for {@link Outcome#INSUFFICIENT_SCOPE}; otherwise null. */
    public String requiredScope() {
        return requiredScope;
    }

    /**
     * The reason as one line for gRPC status descriptions and logs: {@code REVOKED_SESSION: the token's session has been revoked},
     * {@code MISSING_CREDENTIALS: a bearer token is required}, {@code INSUFFICIENT_SCOPE: scope x is required}.
     */
    public String reason() {
        return switch (outcome) {
            case AUTHENTICATED -> "AUTHENTICATED";
            case INVALID_TOKEN, UNAVAILABLE -> failure.name() + ": " + description;
            default -> outcome.name() + ": " + description;
        };
    }

    /** 401 for a missing or invalid token, 403 for insufficient scope (RFC 6750 §3.1), 503 when it cannot be checked now; 200 when authenticated. */
    public int httpStatus() {
        return switch (outcome) {
            case AUTHENTICATED -> 200;
            case INSUFFICIENT_SCOPE -> 403;
            case UNAVAILABLE -> 503;
            default -> 401;
        };
    }

    /**
     * The OAuth 2.0 error code of a refusal, as the HTTP body's {@code error} and the gRPC {@code ErrorInfo.reason}:
     * {@code invalid_token} (missing credentials too, so a gRPC caller always gets a reason),
     * {@code insufficient_scope}, {@code temporarily_unavailable}; null when authenticated.
     */
    public String errorCode() {
        return switch (outcome) {
            case AUTHENTICATED -> null;
            case MISSING_CREDENTIALS, INVALID_TOKEN -> "invalid_token";
            case INSUFFICIENT_SCOPE -> "insufficient_scope";
            case UNAVAILABLE -> "temporarily_unavailable";
        };
    }

    /** The gRPC status code of a refusal: UNAUTHENTICATED, PERMISSION_DENIED or UNAVAILABLE; OK when authenticated. */
    public Status.Code grpcCode() {
        return switch (outcome) {
            case AUTHENTICATED -> Status.Code.OK;
            case MISSING_CREDENTIALS, INVALID_TOKEN -> Status.Code.UNAUTHENTICATED;
            case INSUFFICIENT_SCOPE -> Status.Code.PERMISSION_DENIED;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
        };
    }

    /**
     * The exact {@code WWW-Authenticate} value to send with the refusal; null when authenticated or unavailable
     * (a 503 challenges nothing).
     * <ul>
     *   <li>missing credentials: {@code Bearer realm="lifespan"} (no error code, RFC 6750 §3.1)</li>
     *   <li>invalid token: {@code Bearer realm="lifespan", error="invalid_token", error_description="token has expired"}</li>
     *   <li>insufficient scope: {@code Bearer realm="lifespan", error="insufficient_scope", scope="orders:write"}</li>
     * </ul>
     */
    public String wwwAuthenticate() {
        String challenge = "Bearer realm=\"" + BearerAuthenticator.REALM + "\"";
        return switch (outcome) {
            case AUTHENTICATED, UNAVAILABLE -> null;
            case MISSING_CREDENTIALS -> challenge;
            case INVALID_TOKEN -> challenge + ", error=\"invalid_token\", error_description=\"" + description + "\"";
            case INSUFFICIENT_SCOPE -> challenge + ", error=\"insufficient_scope\", scope=\"" + requiredScope + "\"";
        };
    }

    /**
     * The {@code outcome} tag of {@code lifespan_token_validations_total}: {@code valid}, the lower-cased
     * failure ({@code expired}, {@code revoked_session}, …), {@code missing_credentials} or {@code insufficient_scope}.
     */
    public String metricOutcome() {
        return switch (outcome) {
            case AUTHENTICATED -> "valid";
            case INVALID_TOKEN, UNAVAILABLE -> failure.name().toLowerCase(Locale.ROOT);
            default -> outcome.name().toLowerCase(Locale.ROOT);
        };
    }

    @Override
    public String toString() {
        return isAuthenticated() ? "Authentication[AUTHENTICATED " + claims.subject() + "]" : "Authentication[" + reason() + "]";
    }
}
