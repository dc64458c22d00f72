package dev.lifespan.issuer.error;

import java.time.Duration;

/**
 * An error the caller should see: a kind, a description safe to show, the offending field
 * where there is one, and for rate limits how long to wait. Never carries a raw token.
 */
public final class IssuerException extends RuntimeException {
    private final ErrorKind kind;
    private final String field;
    private final Duration retryAfter;

    public IssuerException(ErrorKind kind, String description) {
        this(kind, description, null, null, null);
    }

    private IssuerException(ErrorKind kind, String description, String field, Duration retryAfter, Throwable cause) {
        super(description, cause, false, false);
        this.kind = kind;
        this.field = field;
        this.retryAfter = retryAfter;
    }

    public static IssuerException invalidField(String field, String problem) {
        return new IssuerException(ErrorKind.INVALID_REQUEST, field + ": " + problem, field, null, null);
    }

    public static IssuerException invalidGrant(String description) {
        return new IssuerException(ErrorKind.INVALID_GRANT, description);
    }

    public static IssuerException invalidClient(String description) {
        return new IssuerException(ErrorKind.INVALID_CLIENT, description);
    }

    public static IssuerException rateLimited(Duration retryAfter) {
        return new IssuerException(ErrorKind.RATE_LIMITED, "too many requests; retry after " + retryAfter.toSeconds() + " s",
                null, retryAfter, null);
    }

    public static IssuerException unavailable(String what, Throwable cause) {
        return new IssuerException(ErrorKind.UNAVAILABLE, what + " is unavailable; retry later", null, Duration.ofSeconds(1), cause);
    }

    public ErrorKind kind() {
        return kind;
    }

    /** The request field at fault, or null. */
    public String field() {
        return field;
    }

    /** How long a rate-limited caller should wait, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
