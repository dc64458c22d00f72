package dev.lifespan.support.error;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.jboss.logging.Logger;

/**
 * Turns any failure into a gRPC status: the code from {@link ErrorKind}, the description, and a
 * {@code google.rpc.ErrorInfo} whose reason is the OAuth2 error code (plus the field at fault),
 * with {@code RetryInfo} for rate limits and outages. Never UNKNOWN, never a stack trace.
 */
public final class GrpcErrors {
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);
    /** {@code ErrorInfo.domain} of every Lifespan error. */
    public static final String DOMAIN = "lifespan.dev";

    private GrpcErrors() {
    }

    public static StatusRuntimeException toStatus(Throwable failure) {
        ServiceException error = Failures.classify(failure);
        if (error.kind() == ErrorKind.SERVER_ERROR) {
            LOG.error("Unexpected failure answering a gRPC call", failure);
        } else if (error.kind() == ErrorKind.UNAVAILABLE) {
            LOG.warnf("Dependency unavailable: %s", String.valueOf(failure.getMessage()));
        }
        ErrorInfo.Builder info = ErrorInfo.newBuilder().setReason(error.kind().oauthCode()).setDomain(DOMAIN);
        if (error.field() != null) {
            info.putMetadata("field", error.field());
        }
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(error.kind().grpcCode().value())
                .setMessage(error.kind().oauthCode() + ": " + error.getMessage())
                .addDetails(Any.pack(info.build()));
        if (error.retryAfter() != null) {
            status.addDetails(Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(Math.max(1, error.retryAfter().toSeconds())))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }
}
