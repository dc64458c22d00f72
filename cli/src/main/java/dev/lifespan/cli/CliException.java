package dev.lifespan.cli;

/**
 * A failure the command has already put in words, with the exit status it means ({@link ExitCodes}). Thrown by
 * commands and by {@link Failures}; printed as one line, without a stack trace.
 */
public final class CliException extends RuntimeException {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
