package dev.lifespan.validator.revocation;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live revocation rules a validating node holds, and the decision whether one covers a token.
 * Pure and in memory: no I/O, no clock of its own.
 *
 * <p><b>Threads.</b> {@link #match} may be called from any number of threads without locking while
 * one thread at a time calls {@link #add} and {@link #dropExpired} (the caller serialises writers;
 * {@link RevocationFeed} does). A reader racing a writer sees the rule or not, never a torn one.
 *
 * <p><b>What covers a token</b>, checked in this order, the first answering:
 * <ol>
 *   <li>a TOKEN rule on its {@code jti}, or the GLOBAL not-before: {@code REVOKED_TOKEN}
 *       (the contract's enum has no global reason; a global not-before revokes tokens one by one as
 *       far as the caller can tell, so it reads as a revoked token);</li>
 *   <li>a SESSION rule on its {@code sid}: {@code REVOKED_SESSION};</li>
 *   <li>a SUBJECT rule on its {@code sub} with {@code iat} before the rule's not-before: {@code REVOKED_SUBJECT};</li>
 *   <li>a CLIENT rule on its {@code client_id}, likewise: {@code REVOKED_CLIENT};</li>
 *   <li>a KEY rule on its {@code kid}: {@code REVOKED_KEY}.</li>
 * </ol>
 *
 * <p><b>"Issued before T".</b> Compared as {@code iat.toEpochMilli() < T.toEpochMilli()}. The revocation
 * service records every T as a whole second (the requested time rounded up), so this is exactly
 * {@code iat < T} in the seconds {@code iat} has: every token issued before the rule is covered, and the
 * issuer never mints a token whose {@code iat} lies in a covered second (see {@link #latestCutoffMilli}).
 * A T with a fraction (a rule from elsewhere) covers its whole second, the safe side.
 *
 * <p><b>Supersession.</b> For SUBJECT, CLIENT and GLOBAL a later not-before covers everything an
 * earlier one does, so only the latest not-before (and the latest expiry) of a value is kept.
 *
 * <p><b>Expiry.</b> A rule is kept until its {@code expires_at} plus {@code expiryGrace} (the
 * validators' clock skew: a token is accepted up to that long after its {@code exp}, so its rule must
 * outlive it by as much). A rule without {@code expires_at} is kept for {@code longestTokenLifetime}
 * after it was applied. {@link #dropExpired} then removes it, so memory follows live tokens.
 */
public final class RevocationRules {
    /** Access tokens live at most 1 h (CONTRACT section 4); the longest clock skew is 5 min. */
    public static final Duration DEFAULT_LONGEST_TOKEN_LIFETIME = Duration.ofHours(1);
    public static final Duration DEFAULT_EXPIRY_GRACE = Duration.ofMinutes(5);

    private final Duration expiryGrace;
    private final Duration longestTokenLifetime;
    private final RevokedIds tokens = new RevokedIds();
    private final RevokedIds sessions = new RevokedIds();
    private final RevokedIds keys = new RevokedIds();
    private final ConcurrentHashMap<String, Cutoff> subjects = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Cutoff> clients = new ConcurrentHashMap<>();
    private volatile Cutoff global;

    /**
     * @param expiryGrace          how long a rule outlives its {@code expires_at}: at least the validators' clock skew
     * @param longestTokenLifetime how long a rule without {@code expires_at} is kept
     */
    public RevocationRules(Duration expiryGrace, Duration longestTokenLifetime) {
        if (expiryGrace.isNegative() || longestTokenLifetime.isNegative() || longestTokenLifetime.isZero()) {
            throw new IllegalArgumentException("expiry grace must not be negative and longest token lifetime must be positive");
        }
        this.expiryGrace = expiryGrace;
        this.longestTokenLifetime = longestTokenLifetime;
    }

    /** Grace of 5 min (the largest clock skew allowed), rules without expiry kept 1 h. */
    public RevocationRules() {
        this(DEFAULT_EXPIRY_GRACE, DEFAULT_LONGEST_TOKEN_LIFETIME);
    }

    /**
     * Adds a rule. Writer only.
     *
     * @param now when the rule is applied: stands in for an unset {@code not_before} (when there is no
     *            {@code created_at} either) and starts the keep-time of an unset {@code expires_at}
     * @return false, and nothing changes, for a rule of unknown kind or, other than GLOBAL, without a value
     */
    public boolean add(RevocationRule rule, Instant now) {
        String value = rule.getValue();
        if (rule.getKind() != RuleKind.RULE_KIND_GLOBAL && value.isEmpty()) {
            return false;
        }
        long keepUntil = keepUntil(rule, now);
        switch (rule.getKind()) {
            case RULE_KIND_TOKEN -> tokens.add(value, keepUntil);
            case RULE_KIND_SESSION -> sessions.add(value, keepUntil);
            case RULE_KIND_KEY -> keys.add(value, keepUntil);
            case RULE_KIND_SUBJECT -> subjects.merge(value, new Cutoff(notBeforeMilli(rule, now), keepUntil), Cutoff::later);
            case RULE_KIND_CLIENT -> clients.merge(value, new Cutoff(notBeforeMilli(rule, now), keepUntil), Cutoff::later);
            case RULE_KIND_GLOBAL -> {
                Cutoff added = new Cutoff(notBeforeMilli(rule, now), keepUntil);
                Cutoff current = global;
                global = current == null ? added : current.later(added);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The first reason a live rule covers the token (see the class comment for the order), or empty. Lock-free. */
    public Optional<ValidationFailure> match(VerifiedClaims claims) {
        long issuedAt = claims.issuedAt() == null ? Long.MIN_VALUE : claims.issuedAt().toEpochMilli();
        if (tokens.contains(claims.tokenId()) || covers(global, issuedAt)) {
            return Optional.of(ValidationFailure.REVOKED_TOKEN);
        }
        if (sessions.contains(claims.sessionId())) {
            return Optional.of(ValidationFailure.REVOKED_SESSION);
        }
        if (claims.subject() != null && covers(subjects.get(claims.subject()), issuedAt)) {
            return Optional.of(ValidationFailure.REVOKED_SUBJECT);
        }
        if (claims.clientId() != null && covers(clients.get(claims.clientId()), issuedAt)) {
            return Optional.of(ValidationFailure.REVOKED_CLIENT);
        }
        if (keys.contains(claims.keyId())) {
            return Optional.of(ValidationFailure.REVOKED_KEY);
        }
        return Optional.empty();
    }

    /**
     * The latest "issued before" cut-off, in epoch milliseconds, that a live SUBJECT, CLIENT or GLOBAL rule
     * sets for tokens of this subject and client, or {@link Long#MIN_VALUE} when none does. An issuer uses it
     * never to mint a token whose {@code iat} (whole seconds) falls inside a covered second. Lock-free.
     */
    public long latestCutoffMilli(String subject, String clientId) {
        long cutoff = Long.MIN_VALUE;
        Cutoff g = global;
        if (g != null) {
            cutoff = g.notBeforeMilli;
        }
        Cutoff s = subject == null ? null : subjects.get(subject);
        if (s != null) {
            cutoff = Math.max(cutoff, s.notBeforeMilli);
        }
        Cutoff c = clientId == null ? null : clients.get(clientId);
        if (c != null) {
            cutoff = Math.max(cutoff, c.notBeforeMilli);
        }
        return cutoff;
    }

    /** Removes every rule kept until before {@code now}; returns how many. Writer only. */
    public int dropExpired(Instant now) {
        long nowSecond = now.getEpochSecond();
        int before = subjects.size() + clients.size();
        subjects.values().removeIf(cutoff -> cutoff.keepUntil < nowSecond);
        clients.values().removeIf(cutoff -> cutoff.keepUntil < nowSecond);
        int removed = before - subjects.size() - clients.size();
        Cutoff current = global;
        if (current != null && current.keepUntil < nowSecond) {
            global = null;
            removed++;
        }
        return removed + tokens.dropExpiredBefore(nowSecond) + sessions.dropExpiredBefore(nowSecond)
                + keys.dropExpiredBefore(nowSecond);
    }

    /** How many rules are held (after supersession: one per SUBJECT or CLIENT value, at most one GLOBAL). */
    public int size() {
        return tokens.size() + sessions.size() + keys.size() + subjects.size() + clients.size() + (global == null ? 0 : 1);
    }

    private static boolean covers(Cutoff cutoff, long issuedAtMilli) {
        return cutoff != null && issuedAtMilli < cutoff.notBeforeMilli;
    }

    /** Epoch second (rounded up) after which the rule can go. */
    private long keepUntil(RevocationRule rule, Instant now) {
        Instant expires = rule.hasExpiresAt() ? toInstant(rule.getExpiresAt()) : now.plus(longestTokenLifetime);
        Instant keep = expires.plus(expiryGrace);
        return keep.getNano() == 0 ? keep.getEpochSecond() : keep.getEpochSecond() + 1;
    }

    /**
     * The first whole second a SUBJECT, CLIENT or GLOBAL rule's "issued before" cut-off ({@code notBeforeMilli}, as
     * {@link #notBeforeMilli} or {@link #latestCutoffMilli} give it) does not cover: a cut-off with a fraction covers
     * its whole second. An issuer mints no {@code iat} and keeps no session begun before it.
     */
    public static long firstUncoveredSecond(long notBeforeMilli) {
        return Math.floorDiv(notBeforeMilli + 999, 1000);
    }

    /**
     * A SUBJECT, CLIENT or GLOBAL rule's cut-off in epoch milliseconds: its {@code not_before}, else when it was
     * recorded, else {@code now} (when it is applied).
     */
    public static long notBeforeMilli(RevocationRule rule, Instant now) {
        if (rule.hasNotBefore()) {
            return toInstant(rule.getNotBefore()).toEpochMilli();
        }
        return rule.hasCreatedAt() ? toInstant(rule.getCreatedAt()).toEpochMilli() : now.toEpochMilli();
    }

    private static Instant toInstant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }

    /** Tokens issued before {@code notBeforeMilli} are revoked; the rule can go after {@code keepUntil} (epoch s). */
    private record Cutoff(long notBeforeMilli, long keepUntil) {
        Cutoff later(Cutoff other) {
            return new Cutoff(Math.max(notBeforeMilli, other.notBeforeMilli), Math.max(keepUntil, other.keepUntil));
        }
    }
}
