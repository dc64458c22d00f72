package dev.lifespan.issuer.audit;

/** Names of the audit events the issuer writes to its outbox (CONTRACT section 8). */
public final class AuditEventType {
    public static final String TOKEN_ISSUED = "TOKEN_ISSUED";
    public static final String TOKEN_REFRESHED = "TOKEN_REFRESHED";
    public static final String REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED";
    public static final String SESSION_CREATED = "SESSION_CREATED";
    public static final String SESSION_ENDED = "SESSION_ENDED";
    public static final String SESSION_IDLE_TIMEOUT = "SESSION_IDLE_TIMEOUT";
    public static final String REVOKED = "REVOKED";
    public static final String KEY_ROTATED = "KEY_ROTATED";
    public static final String KEY_COMPROMISED = "KEY_COMPROMISED";
    public static final String SINGLE_USE_ISSUED = "SINGLE_USE_ISSUED";
    public static final String SINGLE_USE_REDEEMED = "SINGLE_USE_REDEEMED";
    public static final String SINGLE_USE_REPLAYED = "SINGLE_USE_REPLAYED";
    public static final String RATE_LIMITED = "RATE_LIMITED";
    public static final String STEP_UP_REQUIRED = "STEP_UP_REQUIRED";

    private AuditEventType() {
    }
}
