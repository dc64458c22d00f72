package dev.lifespan.issuer.grpc;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Spreads the issuer's gRPC calls over all its event loops.
 *
 * <p>The Vert.x gRPC server runs every call of an HTTP/2 connection on that connection's event loop, and a client's
 * channel is one connection however many calls it has in flight. So one channel's calls had one core of the issuer
 * between them: 16 callers on one channel got 0.63-1.04x the client-credentials grants of 16 HTTP/1.1 connections in
 * the same runs, and 1.00-1.03x with this class (bench/README section 4.0q). Each call's work (checking it, the
 * limiter, signing, its statement) now starts on the next event loop in turn, and its answer is handed back to the
 * call's own context, where the connection writes it; reading and writing the connection stay on its loop.
 *
 * <p>Contexts are made with Vert.x's internal {@link VertxInternal#createEventLoopContext}, one per event loop of
 * the issuer's Vert.x instance; {@code CallLoopsTest} fails should an upgrade change what they run on.
 */
@Singleton
public class CallLoops {
    private final List<Context> loops = new ArrayList<>();
    private final AtomicInteger next = new AtomicInteger();

    public CallLoops(Vertx vertx) {
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            loops.add(((VertxInternal) vertx).createEventLoopContext((EventLoop) loop, null, classLoader));
        }
        if (loops.isEmpty()) {
            throw new IllegalStateException("Vert.x has no event loops");
        }
    }

    /**
     * The call's answer, with its work run on the next event loop in turn (on a context of its own, as Quarkus gives
     * each call) and its outcome delivered on the context that asked, if it has one.
     */
    public <T> Uni<T> spread(Supplier<Uni<? extends T>> call) {
        Context loop = loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
        Context own = VertxContext.createNewDuplicatedContext(loop);
        Uni<T> spread = Uni.createFrom().<T>deferred(call).runSubscriptionOn(task -> own.runOnContext(ignored -> task.run()));
        Context caller = Vertx.currentContext();
        return caller == null ? spread : spread.emitOn(task -> caller.runOnContext(ignored -> task.run()));
    }

    /** The event loops calls are spread over. */
    int size() {
        return loops.size();
    }
}
