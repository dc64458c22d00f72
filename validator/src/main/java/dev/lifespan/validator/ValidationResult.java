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
}
