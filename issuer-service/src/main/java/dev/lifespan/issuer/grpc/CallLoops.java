package dev.lifespan.issuer.grpc;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import jakarta.inject.Singleton;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Supplier;

/**
 * Spreads the issuer's gRPC calls over its event loops when one connection brings more than its loop's share.
 *
 * <p>The Vert.x gRPC server runs every call of an HTTP/2 connection on that connection's event loop, and a client's
 * channel is one connection however many calls it has in flight. So one channel's calls had one core of the issuer
 * between them: 16 callers on one channel got 0.63-1.04x the client-credentials grants of 16 HTTP/1.1 connections in
 * the same runs, and 1.00-1.03x once every call's work moved to the next event loop in turn (bench/README section
 * 4.0q). Moving every call has its own price, two hand-offs between threads per call: with one call per connection,
 * as HTTP/1.1 clients and many small gRPC clients make them, gRPC grants fell to 0.88-0.91x of HTTP at 7-10 % more
 * CPU each, and were 0.99-1.01x when no call moved (section 4.0x).
 *
 * <p>So a call now stays on its connection's loop, with no hand-off at all, unless that loop already holds more calls
 * in flight than the least busy loop plus a fair share (all calls in flight over the loops, and at least
 * {@value #SLACK}); then its work (checking it, the limiter, signing, its statement) runs on the least busy loop, and
 * its answer is handed back to the call's own context, where the connection writes it. Reading and writing the
 * connection stay on its loop. One connection's 16 calls spread about 7 : 3 : 3 : 3 over four loops; many connections'
 * calls stay where they arrived. The counts are of calls begun and not yet answered per loop, a cheap stand-in for
 * how busy it is; racing updates make them approximate, which costs at most a call placed on a loop one call busier
 * than it looked.
 *
 * <p>Contexts are made with Vert.x's internal {@link VertxInternal#createEventLoopContext}, one per event loop of
 * the issuer's Vert.x instance; {@code CallLoopsTest} fails should an upgrade change what they run on.
 */
@Singleton
public class CallLoops {
    /** The fewest more calls in flight than the least busy loop that a connection's loop may hold and still take its own call. */
    static final int SLACK = 2;

    private final List<Context> loops = new ArrayList<>();
    private final List<EventLoop> threads = new ArrayList<>();
    private final AtomicIntegerArray inFlight;
    private final AtomicInteger next = new AtomicInteger();

    public CallLoops(Vertx vertx) {
        ClassLoader classLoader = Thread.currentThread().getContextClassLoader();
        for (EventExecutor loop : vertx.nettyEventLoopGroup()) {
            loops.add(((VertxInternal) vertx).createEventLoopContext((EventLoop) loop, null, classLoader));
            threads.add((EventLoop) loop);
        }
        if (loops.isEmpty()) {
            throw new IllegalStateException("Vert.x has no event loops");
        }
        inFlight = new AtomicIntegerArray(loops.size());
    }

    /**
     * The call's answer, its work run on the caller's own event loop or, when that loop is too busy, on the least busy
     * one (on a context of its own, as Quarkus gives each call), with its outcome delivered on the context that asked.
     */
    public <T> Uni<T> spread(Supplier<Uni<? extends T>> call) {
        return Uni.createFrom().deferred(() -> {
            Context caller = Vertx.currentContext();
            int own = caller != null && Context.isOnEventLoopThread() ? threads.indexOf(((ContextInternal) caller).nettyEventLoop()) : -1;
            int target = choose(own);
            Uni<T> answer = Uni.createFrom().deferred(call);
            if (target != own) {
                Context there = VertxContext.createNewDuplicatedContext(loops.get(target));
                answer = answer.runSubscriptionOn(task -> there.runOnContext(ignored -> task.run()));
                if (caller != null) {
                    answer = answer.emitOn(task -> caller.runOnContext(ignored -> task.run()));
                }
            }
            // Counted out with this very subscription's end, whichever it is: answer, failure or cancellation.
            inFlight.incrementAndGet(target);
            return answer.onTermination().invoke(() -> inFlight.decrementAndGet(target));
        });
    }

    /**
     * The caller's loop ({@code own}, -1 for none) unless it holds more calls than the least busy loop plus its fair
     * share (at least {@value #SLACK}), else the least busy loop (ties: the first after the caller's).
     */
    private int choose(int own) {
        int size = loops.size();
        int start = own >= 0 ? own : Math.floorMod(next.getAndIncrement(), size);
        int least = start;
        int leastCount = inFlight.get(start);
        int total = leastCount;
        for (int k = 1; k < size; k++) {
            int i = (start + k) % size;
            int count = inFlight.get(i);
            total += count;
            if (count < leastCount) {
                least = i;
                leastCount = count;
            }
        }
        int fairShare = (total + size - 1) / size;
        if (own >= 0 && inFlight.get(own) <= leastCount + Math.max(SLACK, fairShare)) {
            return own;
        }
        return least;
    }

    /** The event loops calls are spread over. */
    int size() {
        return loops.size();
    }
}
