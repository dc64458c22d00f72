package dev.lifespan.validator;

import java.time.Duration;
import java.util.Set;

/**
 * What a validating node accepts.
 *
 * @param issuer             the only accepted {@code iss}
 * @param allowedAlgorithms  accepted {@code alg} values; only asymmetric ones Lifespan signs with can be listed
 * @param clockSkew          tolerance on {@code exp}, {@code nbf} and {@code iat}; at most 5 minutes
 * @param maxTokenBytes      longer tokens are refused before any parsing
 * @param verifiedCacheSize  how many already-verified tokens to remember (0 disables the cache)
 */
public record ValidatorSettings(String issuer, Set<String> allowedAlgorithms, Duration clockSkew, int maxTokenBytes,
        int verifiedCacheSize) {

    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    public static final Set<String> ASYMMETRIC = Set.of("EdDSA", "ES256", "RS256", "PS256");

    public ValidatorSettings {
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("issuer is required");
        }
        if (allowedAlgorithms.isEmpty() || !ASYMMETRIC.containsAll(allowedAlgorithms)) {
            throw new IllegalArgumentException("allowed algorithms must be a non-empty subset of " + ASYMMETRIC
                    + " (never none, never an HMAC algorithm)");
        }
        if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
            throw new IllegalArgumentException("clock skew must be between 0 and " + MAX_CLOCK_SKEW);
        }
        if (maxTokenBytes < 256 || maxTokenBytes > 65536) {
            throw new IllegalArgumentException("max token size must be between 256 and 65536 bytes");
        }
        if (verifiedCacheSize < 0) {
            throw new IllegalArgumentException("verified cache size must not be negative");
        }
        allowedAlgorithms = Set.copyOf(allowedAlgorithms);
    }

    /** Defaults: every algorithm Lifespan signs with, 30 s skew, 8 KiB tokens, 100,000 cached verifications. */
    public static ValidatorSettings defaults(String issuer) {
        return new ValidatorSettings(issuer, ASYMMETRIC, Duration.ofSeconds(30), 8192, 100_000);
    }
}
