package dev.lifespan.validator;

import dev.lifespan.api.v1.ValidationFailure;

/**
 * Either the verified claims or exactly one failure reason from the closed set of
 * {@link ValidationFailure}, with a detail safe to show the caller (never the token).
 */
public record ValidationResult(VerifiedClaims claims, ValidationFailure failure, String detail) {

    public static ValidationResult valid(VerifiedClaims claims) {
        return new ValidationResult(claims, ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED, null);
    }

    public static ValidationResult invalid(ValidationFailure failure, String detail) {
        return new ValidationResult(null, failure, detail);
    }

    public boolean isValid() {
        return claims != null;
    }

    /** What a revocation step's answer means, as a sentence for callers and logs. */
    public static String revocationDetail(ValidationFailure failure) {
        return switch (failure) {
            case REVOKED_TOKEN -> "the token has been revoked";
            case REVOKED_SESSION -> "the token's session has been revoked";
            case REVOKED_SUBJECT -> "tokens of this subject issued before a revocation cut-off are revoked";
            case REVOKED_CLIENT -> "tokens of this client issued before a revocation cut-off are revoked";
            case REVOKED_KEY -> "the key that signed the token has been revoked";
            case REVOCATION_FEED_STALE -> "revocations cannot be checked now: the revocation feed is stale";
            default -> throw new IllegalArgumentException(failure + " is not an answer of the revocation step");
        };
    }

    /**
     * What a failure reason means, as a sentence for people (operators reading {@code lifespan token inspect --validate},
     * a support tool): the revocation reasons as {@link #revocationDetail}, the others as the pipeline checks them.
     */
    public static String explain(ValidationFailure failure) {
        return switch (failure) {
            case VALIDATION_FAILURE_UNSPECIFIED -> "the token passed every check";
            case MALFORMED -> "the token is not a well-formed compact JWS: three canonical base64url segments of JSON, within the size limit";
            case ALG_NOT_ALLOWED -> "the token's signing algorithm (alg) is not allowed, or does not match its key";
            case UNKNOWN_KID -> "the key that signed the token (kid) is not in the issuer's JWKS, even after a refetch";
            case BAD_SIGNATURE -> "the signature does not verify: the token was altered or signed by someone else";
            case WRONG_TYPE -> "the token is not an access token (typ is not at+jwt)";
            case WRONG_ISSUER -> "the token was issued by another issuer (iss)";
            case WRONG_AUDIENCE -> "the token is not meant for the expected audience (aud)";
            case EXPIRED -> "the token has expired (exp is past, beyond the allowed clock skew)";
            case NOT_YET_VALID -> "the token is not valid yet (nbf or iat is in the future, beyond the allowed clock skew)";
            case MISSING_CLAIM -> "a required claim is missing or of the wrong type";
            case REVOKED_TOKEN, REVOKED_SESSION, REVOKED_SUBJECT, REVOKED_CLIENT, REVOKED_KEY, REVOCATION_FEED_STALE -> revocationDetail(failure);
            case UNRECOGNIZED -> "a failure reason this build does not know";
        };
    }
}
