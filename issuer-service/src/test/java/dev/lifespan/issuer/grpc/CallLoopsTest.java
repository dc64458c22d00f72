package dev.lifespan.issuer.grpc;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Calls that arrive on one event loop (one gRPC connection) stay there while the loop is not busier than the others,
 * move to the least busy loop once it is, and each answer, item or failure, comes back on the context of the call that
 * asked. On a real Vert.x instance with three event loops.
 */
class CallLoopsTest {
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(3));
    private final Context caller = vertx.getOrCreateContext();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Where one call was worked on and where its outcome arrived. */
    record Seen(String workedOn, String answeredOn, boolean onCallersContext, String outcome) {
    }

    /** One call's work: where it ran, and the release that finishes it on the context it ran on. */
    record Work(String thread, Context context, CompletableFuture<String> result) {
    }

    @Test
    void callsThatFinishOneAtATimeStayOnTheirConnectionsLoopWithNoHandOff() {
        CallLoops loops = new CallLoops(vertx);
        assertThat(loops.size()).isEqualTo(3);
        String callerThread = onCaller(() -> Thread.currentThread().getName());

        for (int i = 0; i < 5; i++) {
            List<Work> work = new CopyOnWriteArrayList<>();
            List<Seen> seen = calls(loops, 1, work);
            release(work, false);
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 1);
            assertThat(seen.get(0).workedOn()).isEqualTo(callerThread);
            assertThat(seen.get(0).onCallersContext()).isTrue();
            assertThat(seen.get(0).outcome()).isEqualTo("item " + callerThread);
        }
    }

    @Test
    void callsPilingUpOnOneLoopMoveToTheLeastBusyAndAreAnsweredWhereTheyCameFrom() {
        CallLoops loops = new CallLoops(vertx);
        String callerThread = onCaller(() -> Thread.currentThread().getName());
        List<Work> work = new CopyOnWriteArrayList<>();

        List<Seen> seen = calls(loops, 12, work);

        // Held in flight, the caller's loop takes a call while it holds no more than the least busy loop plus a fair share
        // (calls in flight over three loops, at least SLACK). By hand, loops (caller, 1, 2) after each call:
        // 1-3 stay (3,0,0); 4 and 5 move (3,1,1); 6 stays; 7 moves (4,2,1); 8 stays; 9 moves (5,2,2); 10, 11 stay; 12 moves.
        Map<String, Long> perThread = work.stream().collect(Collectors.groupingBy(Work::thread, Collectors.counting()));
        assertThat(perThread).hasSize(3);
        assertThat(perThread.get(callerThread)).isEqualTo(7);
        assertThat(perThread.values()).containsExactlyInAnyOrder(7L, 3L, 2L);
        assertThat(CallLoops.SLACK).as("the counts above are worked out for a slack of 2").isEqualTo(2);

        release(work, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 12);
        assertThat(seen).allSatisfy(call -> {
            assertThat(call.answeredOn()).isEqualTo(callerThread);
            assertThat(call.onCallersContext()).isTrue();
            assertThat(call.outcome()).isEqualTo("item " + call.workedOn());
        });

        // Finished calls are counted out: the next call stays home again.
        List<Work> after = new CopyOnWriteArrayList<>();
        List<Seen> next = calls(loops, 1, after);
        assertThat(after.get(0).thread()).isEqualTo(callerThread);
        release(after, false);
        await().atMost(Duration.ofSeconds(10)).until(() -> next.size() == 1);
    }

    @Test
    void cancelledCallsAreCountedOutToo() {
        CallLoops loops = new CallLoops(vertx);
        String callerThread = onCaller(() -> Thread.currentThread().getName());
        List<Work> work = new CopyOnWriteArrayList<>();
        List<Cancellable> subscriptions = new CopyOnWriteArrayList<>();

        calls(loops, 12, work, subscriptions);
        assertThat(work.stream().map(Work::thread).collect(Collectors.toSet())).hasSize(3);
        onCaller(() -> {
            subscriptions.forEach(Cancellable::cancel);
            return null;
        });

        // Were the cancelled calls still counted, the caller's loop (7 of them) would send this one away.
        List<Work> after = new CopyOnWriteArrayList<>();
        calls(loops, 1, after);
        assertThat(after.get(0).thread()).isEqualTo(callerThread);
        release(after, false);
    }

    @Test
    void aFailureComesBackOnTheCallersContextToo() {
        CallLoops loops = new CallLoops(vertx);
        List<Work> work = new CopyOnWriteArrayList<>();

        List<Seen> seen = calls(loops, 6, work);
        release(work, true);

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 6);
        assertThat(seen).allSatisfy(call -> {
            assertThat(call.onCallersContext()).isTrue();
            assertThat(call.outcome()).isEqualTo("failure refused on " + call.workedOn());
        });
        assertThat(seen.stream().map(Seen::workedOn).collect(Collectors.toSet())).hasSize(3);
    }

    private <T> T onCaller(java.util.function.Supplier<T> what) {
        CompletableFuture<T> result = new CompletableFuture<>();
        caller.runOnContext(ignored -> result.complete(what.get()));
        return result.join();
    }

    /**
     * {@code count} calls made back to back from the caller's event-loop context, as one connection's calls are, each
     * held in flight until released; returns once every call's work has begun.
     */
    private List<Seen> calls(CallLoops loops, int count, List<Work> work) {
        return calls(loops, count, work, new CopyOnWriteArrayList<>());
    }

    private List<Seen> calls(CallLoops loops, int count, List<Work> work, List<Cancellable> subscriptions) {
        List<Seen> seen = new CopyOnWriteArrayList<>();
        onCaller(() -> {
            for (int i = 0; i < count; i++) {
                String[] workedOn = new String[1];
                subscriptions.add(loops.<String>spread(() -> {
                    workedOn[0] = Thread.currentThread().getName();
                    CompletableFuture<String> result = new CompletableFuture<>();
                    work.add(new Work(workedOn[0], Vertx.currentContext(), result));
                    return Uni.createFrom().completionStage(result);
                }).subscribe().with(
                        item -> seen.add(new Seen(workedOn[0], Thread.currentThread().getName(), Vertx.currentContext() == caller, item)),
                        failure -> seen.add(new Seen(workedOn[0], Thread.currentThread().getName(), Vertx.currentContext() == caller,
                                "failure " + failure.getMessage()))));
            }
            return null;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> work.size() == count);
        return seen;
    }

    /** Finishes every held call on the context its work ran on, as a Vert.x client answers. */
    private static void release(List<Work> work, boolean fail) {
        Function<Work, Runnable> finish = w -> fail
                ? () -> w.result().completeExceptionally(new IllegalStateException("refused on " + w.thread()))
                : () -> w.result().complete("item " + w.thread());
        work.forEach(w -> w.context().runOnContext(ignored -> finish.apply(w).run()));
    }
}
