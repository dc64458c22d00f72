package dev.lifespan.issuer.outbox;

/**
 * Revocations were just queued in {@code pending_revocation}: the relay delivers them now rather than on its next
 * tick. A CDI event, so that what queues revocations (sessions, keys, RFC 7009) need not know the relay.
 */
public enum RevocationsQueued {
    INSTANCE
}
