package dev.lifespan.support.http;

import dev.lifespan.support.error.ServiceException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * How a route in front of the services' own endpoints refuses a request before any of it is read or served (an
 * over-size body, a replica that is stopping): for gRPC a trailers-only answer carrying the status as the services'
 * own calls do, for HTTP the error's status with an RFC 6749 JSON body. Either way the connection closes after the
 * answer when it is HTTP/1.1, since the request's body stays unread.
 */
public final class RouteRefusals {
    private RouteRefusals() {
    }

    /** Answers {@code ctx}'s request with {@code error}, in its own protocol; over HTTP with the error's status. */
    public static void refuse(RoutingContext ctx, ServiceException error) {
        refuse(ctx, error.kind().httpStatus(), error);
    }

    /** The same, over HTTP with {@code httpStatus} (413 for a body too large, which the error vocabulary calls bad input). */
    public static void refuse(RoutingContext ctx, int httpStatus, ServiceException error) {
        if (GrpcRequests.isGrpc(ctx.request())) {
            // Trailers-only: the status in the one HEADERS frame that ends the stream.
            ctx.response().putHeader("content-type", "application/grpc");
            GrpcRequests.setStatus(ctx.response().headers(), error);
            ctx.response().end();
            return;
        }
        ctx.response().setStatusCode(httpStatus)
                .putHeader("Connection", "close")
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store");
        if (error.retryAfter() != null) {
            ctx.response().putHeader("Retry-After", Long.toString(Math.max(1, error.retryAfter().toSeconds())));
        }
        ctx.response().end(new JsonObject().put("error", error.kind().oauthCode()).put("error_description", error.getMessage()).encode());
    }
}
