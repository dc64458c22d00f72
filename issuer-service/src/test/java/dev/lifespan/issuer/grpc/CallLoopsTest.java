package dev.lifespan.issuer.grpc;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Calls that all arrive on one event loop (one gRPC connection) are worked on every event loop in turn, and each
 * answer, item or failure, comes back on the context of the call that asked. On a real Vert.x instance.
 */
class CallLoopsTest {
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(3));

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** Where one call was worked on and where its outcome arrived. */
    record Seen(String workedOn, String answeredOn, boolean onCallersContext, String outcome) {
    }

    @Test
    void callsFromOneLoopAreWorkedOnEveryLoopInTurnAndAnsweredWhereTheyCameFrom() {
        CallLoops loops = new CallLoops(vertx);
        assertThat(loops.size()).isEqualTo(3);

        List<Seen> seen = calls(loops, 6, false);

        assertThat(seen.stream().map(Seen::workedOn).collect(Collectors.toSet())).hasSize(3);
        String callerThread = seen.get(0).answeredOn();
        assertThat(seen).allSatisfy(call -> {
            assertThat(call.answeredOn()).isEqualTo(callerThread);
            assertThat(call.onCallersContext()).isTrue();
            assertThat(call.outcome()).isEqualTo("item " + call.workedOn());
        });
        // Two calls to each loop: the work really moved off the caller's loop for two of the three.
        assertThat(seen.stream().filter(call -> !call.workedOn().equals(callerThread))).hasSize(4);
    }

    @Test
    void aFailureComesBackOnTheCallersContextToo() {
        CallLoops loops = new CallLoops(vertx);

        List<Seen> seen = calls(loops, 3, true);

        assertThat(seen).allSatisfy(call -> {
            assertThat(call.onCallersContext()).isTrue();
            assertThat(call.outcome()).isEqualTo("failure refused on " + call.workedOn());
        });
        assertThat(seen.stream().map(Seen::workedOn).collect(Collectors.toSet())).hasSize(3);
    }

    /** {@code count} calls made back to back from one event-loop context, as one connection's calls are. */
    private List<Seen> calls(CallLoops loops, int count, boolean fail) {
        Context caller = vertx.getOrCreateContext();
        List<Seen> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> made = new CompletableFuture<>();
        caller.runOnContext(ignored -> {
            for (int i = 0; i < count; i++) {
                String[] workedOn = new String[1];
                loops.<String>spread(() -> {
                    workedOn[0] = Thread.currentThread().getName();
                    return fail ? Uni.createFrom().failure(new IllegalStateException("refused on " + workedOn[0]))
                            : Uni.createFrom().item("item " + workedOn[0]);
                }).subscribe().with(
                        item -> seen.add(new Seen(workedOn[0], Thread.currentThread().getName(), Vertx.currentContext() == caller, item)),
                        failure -> seen.add(new Seen(workedOn[0], Thread.currentThread().getName(), Vertx.currentContext() == caller,
                                "failure " + failure.getMessage())));
            }
            made.complete(null);
        });
        made.join();
        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == count);
        return List.copyOf(seen);
    }
}
