package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.support.error.ServiceException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Validates a requested rule and fills in what the caller left out. Pure: the caller passes
 * "now", so it is tested without Quarkus or a clock.
 *
 * <p>Defaults: {@code not_before} is now for SUBJECT, CLIENT and GLOBAL and absent for the
 * others. {@code expires_at} is the moment after which nothing the rule covers can still be
 * valid: TOKEN now + max token lifetime (callers should pass the token's {@code exp});
 * SESSION and KEY now + max token lifetime + max skew; SUBJECT, CLIENT, GLOBAL not_before +
 * max token lifetime + max skew.
 */
@Singleton
public class RulePolicy {
    public static final int MAX_VALUE_LENGTH = 255;
    public static final int MAX_REASON_LENGTH = 256;
    public static final int MAX_BATCH = 1000;
    private static final long MAX_EPOCH_SECOND = 253_402_300_799L;

    private final Duration maxTokenLifetime;
    private final Duration maxClockSkew;

    @Inject
    public RulePolicy(RevocationConfig config) {
        this(config.maxTokenLifetime(), config.maxClockSkew());
    }

    public RulePolicy(Duration maxTokenLifetime, Duration maxClockSkew) {
        this.maxTokenLifetime = maxTokenLifetime;
        this.maxClockSkew = maxClockSkew;
    }

    /**
     * The rule to record, or INVALID_ARGUMENT naming the field.
     *
     * @param field the request path of the rule, e.g. {@code rule} or {@code rules[3]}
     * @param now   now, at microsecond precision
     */
    public NewRule admit(String field, RevocationRule rule, Instant now) {
        RuleKind kind = rule.getKind();
        if (kind == RuleKind.RULE_KIND_UNSPECIFIED || kind == RuleKind.UNRECOGNIZED) {
            throw ServiceException.invalidField(field + ".kind", "required");
        }
        String value = rule.getValue();
        if (kind == RuleKind.RULE_KIND_GLOBAL) {
            if (!value.isEmpty()) {
                throw ServiceException.invalidField(field + ".value", "must be empty for a GLOBAL rule");
            }
        } else if (value.isBlank()) {
            throw ServiceException.invalidField(field + ".value", "required");
        } else if (value.length() > MAX_VALUE_LENGTH) {
            throw ServiceException.invalidField(field + ".value", "at most " + MAX_VALUE_LENGTH + " characters");
        }
        if (rule.getReason().length() > MAX_REASON_LENGTH) {
            throw ServiceException.invalidField(field + ".reason", "at most " + MAX_REASON_LENGTH + " characters");
        }

        Instant notBefore = null;
        if (Rule.revokesByIssueTime(kind)) {
            notBefore = rule.hasNotBefore() ? instant(field + ".not_before", rule.getNotBefore()) : now;
        }
        Instant expiresAt;
        if (rule.hasExpiresAt()) {
            expiresAt = instant(field + ".expires_at", rule.getExpiresAt());
            if (!expiresAt.isAfter(now)) {
                throw ServiceException.invalidField(field + ".expires_at", "must be in the future");
            }
        } else {
            expiresAt = switch (kind) {
                case RULE_KIND_TOKEN -> now.plus(maxTokenLifetime);
                case RULE_KIND_SESSION, RULE_KIND_KEY -> now.plus(maxTokenLifetime).plus(maxClockSkew);
                default -> notBefore.plus(maxTokenLifetime).plus(maxClockSkew);
            };
            if (!expiresAt.isAfter(now)) {
                // A not_before so far in the past covers no token that can still be valid.
                throw ServiceException.invalidField(field + ".not_before", "covers no token that can still be valid");
            }
        }
        return new NewRule(kind, value, notBefore, expiresAt, rule.getReason(), rule.hasExpiresAt());
    }

    /** Year 1970 to 9999, the range any token time can take. */
    private static Instant instant(String field, com.google.protobuf.Timestamp t) {
        if (t.getSeconds() < 0 || t.getSeconds() > MAX_EPOCH_SECOND || t.getNanos() < 0 || t.getNanos() > 999_999_999) {
            throw ServiceException.invalidField(field, "not a valid time");
        }
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).truncatedTo(ChronoUnit.MICROS);
    }
}
