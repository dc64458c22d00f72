package dev.lifespan.support.http;

import io.vertx.core.http.HttpServerRequest;

/**
 * The address an HTTP request came from, for rate limits, throttles and the audit trail: the connection's peer, or
 * the forwarded client when Quarkus is told to trust a proxy ({@code quarkus.http.proxy.*}), which Vert.x then reports
 * as the remote address.
 */
public final class RequestAddress {
    private RequestAddress() {
    }

    /** The request's source address, or null when the connection has none (a test's local transport). */
    public static String of(HttpServerRequest request) {
        return request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    }
}
