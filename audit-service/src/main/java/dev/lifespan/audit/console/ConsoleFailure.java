package dev.lifespan.audit.console;

import com.google.rpc.ErrorInfo;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.validator.guard.GrpcErrorStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import java.time.Duration;

/**
 * What the console answers when it cannot do what was asked, in the service's one error vocabulary (mapped to HTTP by
 * {@code HttpErrors}): a refused or missing CSRF token, a call the issuer or the revocation service refused, a part of
 * the console that is not configured.
 */
class ConsoleFailure extends ServiceException {
    ConsoleFailure(ErrorKind kind, String description) {
        super(kind, description, null, kind == ErrorKind.UNAVAILABLE ? Duration.ofSeconds(1) : null, null);
    }

    ConsoleFailure(ErrorKind kind, String description, String field) {
        super(kind, description, field, null, null);
    }

    /** A state-changing request without the CSRF token of this sign-in: answered 403 {@code csrf_refused}. */
    static final class CsrfRefused extends RuntimeException {
        CsrfRefused(String why) {
            super("CSRF check failed: " + why + "; reload the console and try again", null, false, false);
        }
    }

    /**
     * A gRPC refusal from {@code service} as the console's answer; an UNAUTHENTICATED means the operator's own token is no
     * longer good, which signs them out.
     */
    static RuntimeException fromGrpc(String service, Throwable failure) {
        if (!(failure instanceof StatusRuntimeException grpc)) {
            return failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
        }
        Status status = grpc.getStatus();
        String description = service + ": " + (status.getDescription() == null ? status.getCode().name() : status.getDescription());
        return switch (status.getCode()) {
            case UNAUTHENTICATED -> new SignedOut("the " + description + "; sign in again");
            case PERMISSION_DENIED -> new ConsoleFailure(ErrorKind.INSUFFICIENT_SCOPE, "refused by the " + description);
            case INVALID_ARGUMENT, OUT_OF_RANGE -> new ConsoleFailure(ErrorKind.INVALID_REQUEST, "refused by the " + description, field(grpc));
            case NOT_FOUND -> new ConsoleFailure(ErrorKind.NOT_FOUND, "the " + description);
            case FAILED_PRECONDITION -> new ConsoleFailure(ErrorKind.INVALID_GRANT, "the " + description);
            case RESOURCE_EXHAUSTED -> new ConsoleFailure(ErrorKind.RATE_LIMITED, "the " + description);
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, ABORTED -> new ConsoleFailure(ErrorKind.UNAVAILABLE,
                    "the " + service + " is unavailable (" + status.getCode() + "); retry in a moment");
            default -> new ConsoleFailure(ErrorKind.SERVER_ERROR, "the " + service + " failed (" + status.getCode() + ")");
        };
    }

    /** The field the service named as at fault, or null. */
    private static String field(StatusRuntimeException failure) {
        ErrorInfo info = GrpcErrorStatus.errorInfo(failure);
        return info == null ? null : info.getMetadataMap().get("field");
    }

    /** The operator is not (or no longer) signed in: answered 401 and the console's cookie is cleared. */
    static final class SignedOut extends RuntimeException {
        SignedOut(String message) {
            super(message, null, false, false);
        }
    }
}
