package dev.lifespan.cli;

/**
 * What the {@code lifespan} command's exit status means, so that scripts can tell "you asked wrongly" from "they said
 * no" from "nobody answered" without reading the message. Documented in {@code cli/README.md}.
 */
public final class ExitCodes {
    /** Done. */
    public static final int OK = 0;
    /** The command ran and its answer is "no": a token that is not valid, an audit export that does not verify. */
    public static final int NEGATIVE = 1;
    /** The command line is wrong: an unknown option, a missing or invalid argument (picocli's usage code). */
    public static final int USAGE = 2;
    /**
     * A service or the token endpoint refused: bad credentials, a missing scope, invalid input, an unknown or ended
     * session ({@code UNAUTHENTICATED}, {@code PERMISSION_DENIED}, {@code INVALID_ARGUMENT}, {@code NOT_FOUND},
     * {@code FAILED_PRECONDITION}, {@code ALREADY_EXISTS}, {@code OUT_OF_RANGE}; HTTP 4xx). Retrying will not help.
     */
    public static final int REFUSED = 3;
    /**
     * A service could not be reached or could not serve: connection refused, {@code UNAVAILABLE}, a deadline,
     * {@code RESOURCE_EXHAUSTED} (rate limited), HTTP 5xx, a service not ready. Retrying later may help.
     */
    public static final int OUTAGE = 4;
    /** Anything else: a bug on one side ({@code INTERNAL}, {@code UNKNOWN}, an unexpected exception here). */
    public static final int SOFTWARE = 70;

    private ExitCodes() {
    }
}
