package dev.lifespan.support.error;

import java.time.Duration;

/**
 * An error the caller should see: a kind, a description safe to show, the offending field
 * where there is one, and for rate limits how long to wait. Never carries a raw token.
 */
public class ServiceException extends RuntimeException {
    private final ErrorKind kind;
    private final String field;
    private final Duration retryAfter;

    public ServiceException(ErrorKind kind, String description) {
        this(kind, description, null, null, null);
    }

    protected ServiceException(ErrorKind kind, String description, String field, Duration retryAfter, Throwable cause) {
        super(description, cause, false, false);
        this.kind = kind;
        this.field = field;
        this.retryAfter = retryAfter;
    }

    /**
     * Bad input in one field. The message is a sentence: the field's name, then {@code problem}, which starts
     * with a verb ({@code "is required"}, {@code "is longer than 255 characters"}, {@code "must be in the future"}).
     */
    public static ServiceException invalidField(String field, String problem) {
        return new ServiceException(ErrorKind.INVALID_REQUEST, field + " " + problem, field, null, null);
    }

    public static ServiceException invalidGrant(String description) {
        return new ServiceException(ErrorKind.INVALID_GRANT, description);
    }

    public static ServiceException invalidClient(String description) {
        return new ServiceException(ErrorKind.INVALID_CLIENT, description);
    }

    public static ServiceException rateLimited(Duration retryAfter) {
        return rateLimited("too many requests", retryAfter);
    }

    /** RATE_LIMITED saying {@code why}, with the retry delay in whole seconds (at least 1) in the sentence and the answer. */
    public static ServiceException rateLimited(String why, Duration retryAfter) {
        long seconds = Math.max(1, retryAfter.toSeconds());
        return new ServiceException(ErrorKind.RATE_LIMITED, why + "; retry after " + seconds + " s",
                null, Duration.ofSeconds(seconds), null);
    }

    public static ServiceException unavailable(String what, Throwable cause) {
        return new ServiceException(ErrorKind.UNAVAILABLE, what + " is unavailable; retry later", null, Duration.ofSeconds(1), cause);
    }

    /** An outage the caller should retry after {@code retryAfter}: {@code description} says what is down. */
    public static ServiceException unavailable(String description, Duration retryAfter) {
        return new ServiceException(ErrorKind.UNAVAILABLE, description, null, retryAfter, null);
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
