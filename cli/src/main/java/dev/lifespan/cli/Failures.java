package dev.lifespan.cli;

import com.google.rpc.ErrorInfo;
import dev.lifespan.support.auth.TokenEndpointRefusal;
import dev.lifespan.validator.guard.GrpcErrorStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place a failure becomes an exit status and a line for people: gRPC status codes (with the services'
 * {@code ErrorInfo} reason and field), token-endpoint refusals, and connection failures. Never prints a stack trace
 * for an expected failure, and never a token or a secret (the services' messages carry neither).
 */
public final class Failures implements CommandLine.IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        CliException failure = classify(e);
        PrintWriter err = commandLine.getErr();
        err.println(commandLine.getColorScheme().errorText("lifespan: " + failure.getMessage()));
        if (failure.exitCode() == ExitCodes.SOFTWARE) {
            e.printStackTrace(err);
        }
        err.flush();
        return failure.exitCode();
    }

    /** {@code e} as a {@link CliException}: its exit status and a one-line message. */
    public static CliException classify(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CliException known) {
                return known;
            }
            if (cause instanceof StatusRuntimeException status) {
                return fromStatus(status);
            }
            if (cause instanceof TokenEndpointRefusal refusal) {
                return new CliException(refusal.isOutage() ? ExitCodes.OUTAGE : ExitCodes.REFUSED, "token endpoint: " + refusal.getMessage(), e);
            }
            if (cause instanceof ConnectException || cause instanceof HttpTimeoutException || cause instanceof ClosedChannelException
                    || cause instanceof TimeoutException) {
                return new CliException(ExitCodes.OUTAGE, "cannot reach the service: " + describe(cause), e);
            }
            if (cause instanceof CommandLine.ParameterException) {
                return new CliException(ExitCodes.USAGE, cause.getMessage(), e);
            }
        }
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof IOException io) {
                return new CliException(ExitCodes.OUTAGE, "I/O failed: " + describe(io), e);
            }
        }
        return new CliException(ExitCodes.SOFTWARE, "unexpected failure: " + describe(e), e);
    }

    /** Which exit status a gRPC status code means. */
    public static int exitCode(Status.Code code) {
        return switch (code) {
            case OK -> ExitCodes.OK;
            case UNAUTHENTICATED, PERMISSION_DENIED, INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS, OUT_OF_RANGE -> ExitCodes.REFUSED;
            case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED -> ExitCodes.OUTAGE;
            case UNKNOWN, INTERNAL, UNIMPLEMENTED, DATA_LOSS -> ExitCodes.SOFTWARE;
        };
    }

    private static CliException fromStatus(StatusRuntimeException e) {
        Status status = e.getStatus();
        StringBuilder line = new StringBuilder(status.getCode().name());
        ErrorInfo info = GrpcErrorStatus.errorInfo(e);
        String reason = info == null ? null : info.getReason();
        String field = info == null ? null : info.getMetadataMap().get("field");
        Duration delay = GrpcErrorStatus.retryDelay(e);
        String retry = delay == null ? null
                : delay.getSeconds() + (delay.getNano() > 0 ? "." + delay.getNano() / 100_000_000 : "") + " s";
        if (reason != null && !reason.isEmpty()) {
            line.append(" (").append(reason).append(field == null ? "" : ", field " + field).append(')');
        }
        // A Lifespan service's refusal is one sentence with an ErrorInfo; anything else was said by gRPC itself, on
        // this side, about what the address answered (or did not).
        String description = info != null || status.getDescription() == null ? status.getDescription()
                : clientSide(status.getCode(), status.getDescription());
        int exitCode = info == null && status.getCode() == Status.Code.UNIMPLEMENTED ? ExitCodes.USAGE : exitCode(status.getCode());
        if (description != null) {
            line.append(": ").append(description);
        }
        if (status.getCause() != null) {
            line.append(status.getDescription() != null ? " (" : ": ").append(describe(rootCause(status.getCause())))
                    .append(status.getDescription() != null ? ")" : "");
        }
        if (retry != null) {
            line.append(" (retry after ").append(retry).append(')');
        }
        return new CliException(exitCode, line.toString(), e);
    }

    private static final Pattern CLIENT_DEADLINE = Pattern.compile("deadline exceeded after (\\d+(?:\\.\\d+)?)s");

    /**
     * What gRPC said on this side, as one line that points at the likely mistake: an HTTP server that is not gRPC (the
     * management port, a proxy's error page) or a gRPC server without this service (another service's port) is a wrong
     * address, exit status 2; a deadline is said in seconds. grpc-java's descriptions run over several lines (headers,
     * the page's HTML, the load balancer's state), which say nothing more to an operator.
     */
    private static String clientSide(Status.Code code, String description) {
        String first = description.lines().findFirst().orElse("").strip();
        if (code == Status.Code.UNIMPLEMENTED) {
            return first.startsWith("HTTP status code")
                    ? "the address answered " + first.replace("HTTP status code", "HTTP") + ", not gRPC: is it the service's gRPC address "
                            + "(its API port, not the management port)?"
                    : first + ": is the address this service's, and the service as new as this command?";
        }
        Matcher deadline = CLIENT_DEADLINE.matcher(first);
        if (code == Status.Code.DEADLINE_EXCEEDED && deadline.find()) {
            return String.format(Locale.ROOT, "no answer within %.1f s (--timeout)", Double.parseDouble(deadline.group(1)));
        }
        return first;
    }

    private static Throwable rootCause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root;
    }

    private static String describe(Throwable e) {
        if (e instanceof ConnectException && (e.getMessage() == null || e.getMessage().isBlank())) {
            return "connection refused";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
