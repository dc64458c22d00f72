package dev.lifespan.support.error;

import dev.lifespan.validator.guard.GrpcErrorStatus;
import io.grpc.StatusRuntimeException;
import org.jboss.logging.Logger;

import java.util.Map;

/**
 * Turns any failure into a gRPC status in the one shape of {@link GrpcErrorStatus}: the code from
 * {@link ErrorKind}, the description as a sentence, an {@code ErrorInfo} whose reason is the OAuth2 error
 * code (plus the field at fault), and {@code RetryInfo} for rate limits and outages only. Never UNKNOWN,
 * never a stack trace.
 */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);
    /** Outages are logged at most this often: every call of an outage fails alike, and the log must stay readable. */
    private static final long OUTAGE_LOG_INTERVAL_NANOS = 10_000_000_000L;
    private static volatile long lastOutageLog = System.nanoTime() - OUTAGE_LOG_INTERVAL_NANOS;

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(Throwable failure) {
        ServiceException error = Failures.classify(failure);
        if (error.kind() == ErrorKind.SERVER_ERROR) {
            LOG.error("Unexpected failure answering a gRPC call", failure);
        } else if (error.kind() == ErrorKind.UNAVAILABLE) {
            long now = System.nanoTime();
            if (now - lastOutageLog >= OUTAGE_LOG_INTERVAL_NANOS) {
                lastOutageLog = now;
                // What caused it, when that is more than the answer itself (a refusal of our own has nothing to add).
                Object cause = failure.getCause() != null ? failure.getCause() : failure != error ? failure.getMessage() : null;
                LOG.warnf("Answering UNAVAILABLE: %s%s; logged at most every 10 s", error.getMessage(), cause == null ? "" : " (" + cause + ")");
            }
        }
        return GrpcErrorStatus.of(error.kind().grpcCode(), error.kind().oauthCode(), error.getMessage(),
                error.field() == null ? Map.of() : Map.of("field", error.field()), error.retryAfter());
    }
}
