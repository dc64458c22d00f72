package dev.lifespan.issuer.session;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What to do with a presented refresh token that a rotation did not take, decided from its stored state and
 * {@link SessionLiveness}. Pure.
 */
public enum RefreshDecision {
    /** No such token was ever issued (or its session is gone). */
    UNKNOWN,
    /** The token belongs to another client. */
    WRONG_CLIENT,
    /** The session was revoked or has already ended. */
    SESSION_ENDED,
    /** Past the session's absolute lifetime. */
    SESSION_EXPIRED,
    /** Unused for longer than the idle timeout. */
    SESSION_IDLE,
    /** The session is bound to another device. */
    WRONG_DEVICE,
    /** Retired within the grace window: a retry or second tab, gets a sibling pair. */
    GRACE_RETRY,
    /** Retired outside the grace window: theft; the whole family is revoked. */
    REUSE,
    /** Not retired, and its session is live: a concurrent change raced the rotation, which may be tried again. */
    STILL_ROTATABLE;

    /** Its name as a refresh outcome on {@code lifespan_refresh_total}. */
    public String outcome() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Every decision's outcome. */
    public static List<String> outcomes() {
        return Arrays.stream(values()).map(RefreshDecision::outcome).toList();
    }

    public static RefreshDecision of(Optional<RefreshTokenState> found, String clientId, String deviceId, Instant now) {
        if (found.isEmpty()) {
            return UNKNOWN;
        }
        RefreshTokenState token = found.get();
        SessionRow session = token.session();
        if (!token.clientId().equals(clientId)) {
            return WRONG_CLIENT;
        }
        switch (SessionLiveness.of(session, now)) {
            case ENDED -> {
                return SESSION_ENDED;
            }
            case EXPIRED -> {
                return SESSION_EXPIRED;
            }
            case IDLE -> {
                return SESSION_IDLE;
            }
            default -> {
                // live: go on
            }
        }
        if (!SessionLiveness.deviceMatches(session.deviceId(), deviceId)) {
            return WRONG_DEVICE;
        }
        if (token.rotatedAt() == null) {
            return STILL_ROTATABLE;
        }
        return SessionLiveness.withinGrace(token.rotatedAt(), session.reuseGrace(), now) ? GRACE_RETRY : REUSE;
    }
}
