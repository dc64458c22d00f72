package dev.lifespan.support.auth;

/**
 * The issuer's token endpoint answered a client-credentials request with an error status: the credentials or the
 * request were refused (4xx), or the issuer could not serve it (5xx, 429). Callers that report to people (the
 * {@code lifespan} command) tell the two apart by {@link #isOutage()}; services treat both as "no token now".
 * The message carries the status and the RFC 6749 error body, abbreviated, never the secret.
 */
public final class TokenEndpointRefusal extends IllegalStateException {
    private final int httpStatus;

    public TokenEndpointRefusal(String message, int httpStatus) {
        super(message);
        this.httpStatus = httpStatus;
    }

    /** The HTTP status the token endpoint answered with. */
    public int httpStatus() {
        return httpStatus;
    }

    /** True when the issuer could not serve the request (5xx, or 429 rate limited): try again later, the credentials may be fine. */
    public boolean isOutage() {
        return httpStatus >= 500 || httpStatus == 429;
    }
}
