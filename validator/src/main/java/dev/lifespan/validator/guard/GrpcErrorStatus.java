package dev.lifespan.validator.guard;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

import java.time.Duration;
import java.util.Map;

/**
 * The one shape of every error status a Lifespan service or validating node sends over gRPC: the status
 * code, a message written as a sentence, a {@code google.rpc.ErrorInfo} whose {@code reason} is the OAuth
 * 2.0 error code ({@code invalid_request}, {@code invalid_token}, ...) in {@link #DOMAIN} with
 * machine-readable metadata (the field at fault, the validation failure), and a {@code google.rpc.RetryInfo}
 * when the caller should come back (rate limits, outages) and only then. The gRPC guard of this library and
 * every service's error mapping build their statuses here, so the same cause reads the same everywhere.
 */
public final class GrpcErrorStatus {
    /** {@code ErrorInfo.domain} of every Lifespan error. */
    public static final String DOMAIN = "lifespan.dev";

    private GrpcErrorStatus() {
    }

    /**
     * @param reason     the OAuth 2.0 error code, {@code ErrorInfo.reason}
     * @param message    a sentence for people; the status description
     * @param metadata   {@code ErrorInfo.metadata}, e.g. {@code field}; may be empty
     * @param retryAfter how long to wait before retrying, or null when retrying cannot help
     */
    public static StatusRuntimeException of(Status.Code code, String reason, String message, Map<String, String> metadata,
            Duration retryAfter) {
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code.value())
                .setMessage(message)
                .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(reason).setDomain(DOMAIN).putAllMetadata(metadata).build()));
        if (retryAfter != null) {
            status.addDetails(Any.pack(RetryInfo.newBuilder()
                    .setRetryDelay(com.google.protobuf.Duration.newBuilder().setSeconds(Math.max(1, retryAfter.toSeconds())))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }

    /**
     * The {@code ErrorInfo} a status of this shape carries (its reason, and metadata such as the field at fault), read
     * back by a caller; null for a failure that is not a gRPC status or carries none.
     */
    public static ErrorInfo errorInfo(Throwable failure) {
        return detail(failure, ErrorInfo.class);
    }

    /**
     * The {@code RetryInfo} delay a status of this shape carries: how long the service asked its caller to wait before
     * trying again; null for a failure that is not a gRPC status or carries none (retrying cannot help).
     */
    public static Duration retryDelay(Throwable failure) {
        RetryInfo retry = detail(failure, RetryInfo.class);
        return retry == null ? null : Duration.ofSeconds(retry.getRetryDelay().getSeconds(), retry.getRetryDelay().getNanos());
    }

    /** The first detail of {@code type} in a status of this shape; null when the failure carries none or it cannot be read. */
    private static <T extends Message> T detail(Throwable failure, Class<T> type) {
        com.google.rpc.Status status = failure == null ? null : StatusProto.fromThrowable(failure);
        if (status == null) {
            return null;
        }
        for (Any detail : status.getDetailsList()) {
            if (detail.is(type)) {
                try {
                    return detail.unpack(type);
                } catch (InvalidProtocolBufferException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** The refusal for a caller the {@link BearerAuthenticator} did not let through; metadata {@code failure} names why. */
    public static StatusRuntimeException refusal(Authentication authentication) {
        if (authentication.isAuthenticated()) {
            throw new IllegalArgumentException("an authenticated caller is not refused");
        }
        String failure = authentication.outcome() == Authentication.Outcome.INVALID_TOKEN
                || authentication.outcome() == Authentication.Outcome.UNAVAILABLE
                ? authentication.failure().name() : authentication.outcome().name();
        return of(authentication.grpcCode(), authentication.errorCode(), authentication.reason(), Map.of("failure", failure),
                authentication.outcome() == Authentication.Outcome.UNAVAILABLE ? Authentication.RETRY_AFTER : null);
    }
}
