package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Validates a requested rule and fills in what the caller left out. Pure: the caller passes
 * "now", so it is tested without Quarkus or a clock.
 *
 * <p><b>Cut-offs in whole seconds.</b> A SUBJECT, CLIENT or GLOBAL rule revokes tokens issued before
 * its {@code not_before}, and {@code iat} has whole seconds. The cut-off is therefore recorded rounded
 * up to the next whole second: every token issued before the requested time is covered (its {@code iat}
 * is at most that second), and "issued before" is exact in the unit tokens carry. The service answers a
 * Revoke only once that second has begun ({@link RevocationService}), so a token whose issuing call starts
 * after the answer has an {@code iat} of at least the cut-off and is never born revoked; the issuer,
 * following the feed, also never mints into a covered second. A {@code not_before} ahead of the
 * service's clock by up to the max clock skew is the caller's clock running ahead and is taken as now;
 * further ahead it is refused (a GLOBAL rule at 9999 would revoke every token ever to be issued).
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
    public NewRule admit(String field, RuleRequest rule, Instant now) {
        RuleKind kind = rule.kind();
        if (kind == null) {
            throw ServiceException.invalidField(field + ".kind", "is required");
        }
        String value = rule.value() == null ? "" : rule.value();
        if (kind == RuleKind.RULE_KIND_GLOBAL) {
            if (!value.isEmpty()) {
                throw ServiceException.invalidField(field + ".value", "must be empty for a GLOBAL rule");
            }
        } else if (value.isBlank()) {
            throw ServiceException.invalidField(field + ".value", "is required");
        }
        Inputs.optional(field + ".value", value, MAX_VALUE_LENGTH);
        String reason = rule.reason() == null ? "" : rule.reason();
        Inputs.optional(field + ".reason", reason, MAX_REASON_LENGTH);

        Instant notBefore = null;
        if (Rule.revokesByIssueTime(kind)) {
            Instant requested = rule.notBefore() != null ? rule.notBefore().truncatedTo(ChronoUnit.MICROS) : now;
            if (requested.isAfter(now.plus(maxClockSkew))) {
                throw ServiceException.invalidField(field + ".not_before", "is more than " + maxClockSkew.toSeconds()
                        + " s ahead of the service's clock; a cut-off in the future would revoke tokens not issued yet");
            }
            notBefore = wholeSecondAtOrAfter(requested.isAfter(now) ? now : requested);
        }
        Instant expiresAt;
        if (rule.expiresAt() != null) {
            expiresAt = rule.expiresAt().truncatedTo(ChronoUnit.MICROS);
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
        return new NewRule(kind, value, notBefore, expiresAt, reason, rule.expiresAt() != null);
    }

    /** The cut-off as recorded: {@code t} itself on a whole second, else the next whole second. */
    public static Instant wholeSecondAtOrAfter(Instant t) {
        Instant second = t.truncatedTo(ChronoUnit.SECONDS);
        return second.equals(t) ? t : second.plusSeconds(1);
    }
}
