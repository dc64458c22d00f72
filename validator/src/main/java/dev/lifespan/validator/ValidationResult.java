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
}
