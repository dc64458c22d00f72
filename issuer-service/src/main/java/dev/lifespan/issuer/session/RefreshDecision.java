package dev.lifespan.issuer.session;

import java.time.Instant;
import java.util.Optional;

/**
 * Why a presented refresh token was not simply rotated, decided from its stored state. Pure.
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
    /** Still live and usable: a concurrent change raced the rotation; try again. */
    RETRY;

    public static RefreshDecision of(Optional<RefreshTokenState> found, String clientId, String deviceId, Instant now) {
        if (found.isEmpty()) {
            return UNKNOWN;
        }
        RefreshTokenState token = found.get();
        SessionRow session = token.session();
        if (!token.clientId().equals(clientId)) {
            return WRONG_CLIENT;
        }
        if (!"ACTIVE".equals(session.state())) {
            return SESSION_ENDED;
        }
        if (!now.isBefore(session.expiresAt())) {
            return SESSION_EXPIRED;
        }
        if (!now.isBefore(session.idleExpiresAt())) {
            return SESSION_IDLE;
        }
        if (session.deviceId() != null && !session.deviceId().equals(deviceId)) {
            return WRONG_DEVICE;
        }
        if (token.rotatedAt() == null) {
            return RETRY;
        }
        boolean withinGrace = !session.reuseGrace().isZero() && !now.isAfter(token.rotatedAt().plus(session.reuseGrace()));
        return withinGrace ? GRACE_RETRY : REUSE;
    }
}
