package dev.lifespan.support.http;

import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Refuses an over-size request in words, as bad input rather than as a hint to retry.
 *
 * <ul>
 *   <li><b>gRPC.</b> The Vert.x gRPC server answers a message over {@code quarkus.grpc.server.max-inbound-message-size}
 *       itself, before any interceptor sees the call, with a bare {@code RESOURCE_EXHAUSTED} and no message: the
 *       status Lifespan uses for "rate limited, retry later", so a well-behaved client would retry forever. That
 *       answer is recognisable (no message, no details; every {@code RESOURCE_EXHAUSTED} of Lifespan's own carries
 *       both) and is rewritten, just before its headers leave, into {@code INVALID_ARGUMENT} saying how large a
 *       message may be, with an {@code ErrorInfo} and no {@code RetryInfo}.</li>
 *   <li><b>HTTP.</b> A body declared (Content-Length) over {@code quarkus.http.limits.max-body-size} gets 413 with an
 *       RFC 6749 JSON body ({@code invalid_request}) instead of Quarkus's empty one; the request is answered before
 *       any of the body is read.</li>
 * </ul>
 */
@Singleton
public class OversizedRequests {
    static final String GRPC_RESOURCE_EXHAUSTED = "8";

    void install(@Observes Router router) {
        var config = ConfigProvider.getConfig();
        long grpcLimit = config.getOptionalValue("quarkus.grpc.server.max-inbound-message-size", Long.class).orElse(4L * 1024 * 1024);
        long bodyLimit = config.getOptionalValue("quarkus.http.limits.max-body-size", MemorySize.class)
                .map(MemorySize::asLongValue).orElse(10L * 1024 * 1024);
        // Before Quarkus's own body-size check (order -2), which answers 413 with an empty body.
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            if (GrpcRequests.isGrpc(ctx.request())) {
                ctx.addHeadersEndHandler(ignored -> rewriteOversizeAnswer(ctx.response().headers(), grpcLimit));
            } else if (declaredLength(ctx) > bodyLimit) {
                tooLarge(ctx, bodyLimit);
                return;
            }
            ctx.next();
        });
    }

    private static long declaredLength(RoutingContext ctx) {
        String length = ctx.request().getHeader("content-length");
        try {
            return length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Rewrites the Vert.x gRPC server's bare over-size refusal; leaves every other answer alone. */
    static void rewriteOversizeAnswer(MultiMap headers, long limit) {
        if (!GRPC_RESOURCE_EXHAUSTED.equals(headers.get("grpc-status")) || headers.contains("grpc-message")
                || headers.contains("grpc-status-details-bin")) {
            return;
        }
        GrpcRequests.setStatus(headers, new ServiceException(ErrorKind.INVALID_REQUEST,
                "the request message is larger than " + limit + " bytes, the most this service accepts"));
    }

    private static void tooLarge(RoutingContext ctx, long limit) {
        // The body is not read: the connection closes after the answer rather than drain it.
        RouteRefusals.refuse(ctx, 413, new ServiceException(ErrorKind.INVALID_REQUEST,
                "the request body is larger than " + limit + " bytes, the most this service accepts"));
    }
}
