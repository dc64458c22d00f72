package dev.lifespan.support.http;

import dev.lifespan.support.error.GrpcErrors;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.grpc.StatusMessageEncoding;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;

import java.util.Base64;

/** How the routes in front of the shared HTTP server tell a gRPC call from an HTTP request, and answer one themselves. */
public final class GrpcRequests {
    private GrpcRequests() {
    }

    /** True for a gRPC call ({@code application/grpc}, with or without a {@code +proto} suffix). */
    public static boolean isGrpc(HttpServerRequest request) {
        String type = request.getHeader("content-type");
        return type != null && type.startsWith("application/grpc");
    }

    /**
     * Sets {@code error}'s gRPC status in {@code headers} as the services' own answers carry it: {@code grpc-status},
     * the percent-encoded {@code grpc-message}, and {@code grpc-status-details-bin} ({@code ErrorInfo}, and
     * {@code RetryInfo} where the error has a retry delay).
     */
    public static void setStatus(MultiMap headers, ServiceException error) {
        StatusRuntimeException status = GrpcErrors.toStatus(error);
        headers.set("grpc-status", Integer.toString(status.getStatus().getCode().value()));
        headers.set("grpc-message", StatusMessageEncoding.encode(status.getStatus().getDescription()));
        headers.set("grpc-status-details-bin", Base64.getEncoder().withoutPadding().encodeToString(StatusProto.fromThrowable(status).toByteArray()));
    }
}
