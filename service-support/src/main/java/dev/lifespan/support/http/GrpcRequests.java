package dev.lifespan.support.http;

import io.vertx.core.http.HttpServerRequest;

/** How the routes in front of the shared HTTP server tell a gRPC call from an HTTP request. */
public final class GrpcRequests {
    private GrpcRequests() {
    }

    /** True for a gRPC call ({@code application/grpc}, with or without a {@code +proto} suffix). */
    public static boolean isGrpc(HttpServerRequest request) {
        String type = request.getHeader("content-type");
        return type != null && type.startsWith("application/grpc");
    }
}
