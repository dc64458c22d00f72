package dev.lifespan.issuer.session;

import dev.lifespan.issuer.profile.LifetimePolicy;

import java.time.Duration;
import java.time.Instant;

/**
 * Whether a session can still be used, decided in one place. A session is live while it is {@code ACTIVE},
 * before its absolute end and used within its idle timeout; a presented refresh token also needs the session's
 * device (for device-bound sessions) and, once retired, a grace window that has not closed.
 *
 * <p>Refresh, introspection, session listing and ending all ask {@link #of}. The statements that must decide in
 * SQL, so that a rotation is one atomic conditional {@code UPDATE}, use the SQL forms here ({@link #liveSql},
 * {@link #deviceMatchesSql}, {@link #withinGraceSql}); {@code SessionLivenessTest} runs the same table of cases through
 * both, on PostgreSQL, and asserts they agree to the microsecond.
 */
public final class SessionLiveness {

    /** Why a session can or cannot be used now. */
    public enum Verdict {
        /** Usable. */
        LIVE,
        /** Revoked or otherwise ended (its state is no longer ACTIVE). */
        ENDED,
        /** Past its absolute lifetime. */
        EXPIRED,
        /** Unused for longer than its idle timeout. */
        IDLE
    }

    private SessionLiveness() {
    }

    /** The verdict for a session at {@code now}. */
    public static Verdict of(String state, Instant expiresAt, Instant lastActivityAt, Duration idleTimeout, Instant now) {
        if (!"ACTIVE".equals(state)) {
            return Verdict.ENDED;
        }
        if (!now.isBefore(expiresAt)) {
            return Verdict.EXPIRED;
        }
        if (!now.isBefore(LifetimePolicy.idleExpiry(lastActivityAt, idleTimeout, expiresAt))) {
            return Verdict.IDLE;
        }
        return Verdict.LIVE;
    }

    /** A session's state as callers see it: the stored end if it ended, otherwise what the clock says. */
    public enum Status { ACTIVE, REVOKED, IDLE_EXPIRED, EXPIRED }

    public static Status status(SessionRow s, Instant now) {
        return switch (s.state()) {
            case "REVOKED" -> Status.REVOKED;
            case "IDLE_EXPIRED" -> Status.IDLE_EXPIRED;
            case "EXPIRED" -> Status.EXPIRED;
            default -> switch (of(s, now)) {
                case EXPIRED -> Status.EXPIRED;
                case IDLE -> Status.IDLE_EXPIRED;
                default -> Status.ACTIVE;
            };
        };
    }

    public static Verdict of(SessionRow s, Instant now) {
        return of(s.state(), s.expiresAt(), s.lastActivityAt(), s.idleTimeout(), now);
    }

    public static boolean isLive(SessionRow s, Instant now) {
        return of(s, now) == Verdict.LIVE;
    }

    /** A device-bound session accepts only its device; a session bound to none accepts any. */
    public static boolean deviceMatches(String sessionDevice, String presented) {
        return sessionDevice == null || sessionDevice.equals(presented);
    }

    /** A retired token is inside the grace window: the window is open (not zero) and has not closed. */
    public static boolean withinGrace(Instant rotatedAt, Duration grace, Instant now) {
        return !grace.isZero() && !now.isAfter(rotatedAt.plus(grace));
    }

    /** {@link #of} is LIVE, in SQL, for session alias {@code s} at the SQL expression {@code now}. */
    public static String liveSql(String s, String now) {
        return s + ".state = 'ACTIVE' AND " + s + ".expires_at > " + now + " AND " + s + ".last_activity_at + make_interval(secs => "
                + s + ".idle_timeout_seconds) > " + now;
    }

    /** {@link #deviceMatches}, in SQL. */
    public static String deviceMatchesSql(String s, String presented) {
        return "(" + s + ".device_id IS NULL OR " + s + ".device_id = " + presented + ")";
    }

    /** {@link #withinGrace}, in SQL, for a token alias {@code r} of a session alias {@code s}. */
    public static String withinGraceSql(String r, String s, String now) {
        return s + ".reuse_grace_seconds > 0 AND " + r + ".rotated_at + make_interval(secs => " + s + ".reuse_grace_seconds) >= " + now;
    }
}
