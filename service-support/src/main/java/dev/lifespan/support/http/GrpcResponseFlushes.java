package dev.lifespan.support.http;

import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;

/**
 * Sends the frames of gRPC responses that are ready together in one system call, as grpc-java's own server does.
 *
 * <p>The Vert.x gRPC server that shares the HTTP port flushes every HTTP/2 frame it writes outside a read on that
 * connection: a unary response is three (headers, message, trailers), and one answered after a Redis or PostgreSQL
 * round trip is always written outside a read. Three {@code write} calls per response, and three wake-ups for the
 * caller, were most of what gRPC cost over HTTP/1.1 (bench/README.md section 4.0). Netty's
 * {@link FlushConsolidationHandler} on each connection that carries gRPC turns the flushes of one event-loop pass into
 * one. A response is never held longer than the rest of that pass. HTTP/1.1 connections are left as they are.
 *
 * <p>{@link ConnectionBase} is Vert.x's internal connection type; should an upgrade move it, responses are written as
 * before, and the issuer's {@code ResponseFlushesWiringTest} fails.
 */
@Singleton
public class GrpcResponseFlushes {
    /** The handler's name in a connection's pipeline. */
    public static final String HANDLER = "lifespan-grpc-flush-consolidation";

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(ctx -> {
            if (GrpcRequests.isGrpc(ctx.request()) && ctx.request().connection() instanceof ConnectionBase connection) {
                ChannelPipeline pipeline = connection.channel().pipeline();
                if (pipeline.get(HANDLER) == null) {
                    pipeline.addFirst(HANDLER, new FlushConsolidationHandler(FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                }
            }
            ctx.next();
        });
    }
}
