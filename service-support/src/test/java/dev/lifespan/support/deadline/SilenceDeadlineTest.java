package dev.lifespan.support.deadline;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.mutiny.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Holding a call, and giving it up, against a dependency that never answers (real Vert.x timers). */
class SilenceDeadlineTest {
    private static final Duration DEADLINE = Duration.ofMillis(200);
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.closeAndAwait();
    }

    @Test
    void aHeldCallIsNotGivenUpBeforeItsHoldEndsAndIsAfter() throws Exception {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        long held = DEADLINE.toNanos() * 5;
        long start = System.nanoTime();
        CompletableFuture<Object> call = deadline.bound(c -> {
            assertThat(c.holdUntil(System.nanoTime() + held)).isTrue();
            return Uni.createFrom().nothing();
        }).subscribeAsCompletionStage();

        assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SilenceDeadline.Late.class).hasMessage("Test answered nothing for 200 ms");
        assertThat(System.nanoTime() - start).as("not before the hold ended").isGreaterThanOrEqualTo(held);
    }

    @Test
    void aCallGivenUpCannotBeHeldAnyMore() {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        AtomicReference<SilenceDeadline.Call> handle = new AtomicReference<>();
        CompletableFuture<Object> call = deadline.bound(c -> {
            handle.set(c);
            return Uni.createFrom().nothing();
        }).subscribeAsCompletionStage();

        assertThatThrownBy(() -> call.get(60, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(SilenceDeadline.Late.class);
        assertThat(handle.get().givenUp()).isTrue();
        assertThat(handle.get().holdUntil(System.nanoTime() + DEADLINE.toNanos())).as("nothing may be sent for it now").isFalse();
    }

    @Test
    void anAnsweredCallIsNotFailedLaterAndWhatWasLeftForLatenessDoesNotRun() throws Exception {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        AtomicBoolean ran = new AtomicBoolean();
        assertThat(deadline.bound(c -> {
            c.whenLate(() -> ran.set(true));
            return Uni.createFrom().item("answer");
        }).subscribeAsCompletionStage().get(30, TimeUnit.SECONDS)).isEqualTo("answer");
        assertThat(ran).as("answered: nothing to clean up").isFalse();
    }

    @Test
    void aFailureThatFollowsAGiveUpIsNotTakenForTheDependencyAnswering() throws Exception {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        long silentSince = deadline.lastAnswerNanos();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        CompletableFuture<Object> call = deadline.bound(c -> Uni.createFrom().emitter(pending -> c.whenLate(() -> {
            pending.fail(new IOException("connection closed")); // what closing a silent connection does to its statement
            closed.complete(null);
        }))).subscribeAsCompletionStage();

        assertThatThrownBy(() -> call.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(SilenceDeadline.Late.class);
        closed.get(30, TimeUnit.SECONDS);
        assertThat(deadline.lastAnswerNanos()).as("still silent since before the call").isEqualTo(silentSince);

        assertThatThrownBy(() -> deadline.bound(Uni.createFrom().failure(new IOException("refused"))).subscribeAsCompletionStage()
                .get(30, TimeUnit.SECONDS)).cause().isInstanceOf(IOException.class);
        assertThat(deadline.lastAnswerNanos()).as("a failure in time is an answer").isNotEqualTo(silentSince);
    }

    @Test
    void whatIsLeftForLatenessRunsOnceTheCallerIsAnswered() throws Exception {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        AtomicReference<SilenceDeadline.Call> handle = new AtomicReference<>();
        CompletableFuture<Boolean> ranAfterTheAnswer = new CompletableFuture<>();
        CompletableFuture<Object> call = deadline.bound(c -> {
            handle.set(c);
            return Uni.createFrom().nothing();
        }).subscribeAsCompletionStage();
        handle.get().whenLate(() -> ranAfterTheAnswer.complete(call.isCompletedExceptionally()));

        assertThat(ranAfterTheAnswer.get(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> registeredLate = new CompletableFuture<>();
        handle.get().whenLate(() -> registeredLate.complete(null));
        assertThat(registeredLate).as("left after the call was given up: runs at once").isCompleted();
    }

    /**
     * The answer is there but the event loop its connection lives on is busy (a burst on a cold JVM, a pause) past the
     * deadline: the call is answered, not given up for a silence that was this process's own. (Before: given up at the
     * deadline, and a rate limiter took that for Redis being down and let a burst through.)
     */
    @Test
    void anAnswerHeldUpByABusyEventLoopIsNotTakenForSilence() throws Exception {
        SilenceDeadline deadline = new SilenceDeadline(vertx, DEADLINE, "Test");
        Context connectionLoop = vertx.getDelegate().getOrCreateContext();
        Context callerLoop = otherLoopThan(connectionLoop);
        CompletableFuture<String> answer = new CompletableFuture<>();
        CompletableFuture<Object> call = new CompletableFuture<>();
        long busyNanos = DEADLINE.toNanos() * 3;
        connectionLoop.runOnContext(ignored -> {
            long until = System.nanoTime() + busyNanos;
            while (System.nanoTime() - until < 0) {
                Thread.onSpinWait(); // a loop busy with other work, not waiting
            }
        });
        connectionLoop.runOnContext(ignored -> answer.complete("answer")); // read only once the loop is free again
        callerLoop.runOnContext(ignored -> deadline.bound(c -> {
            c.sent();
            return Uni.createFrom().completionStage(answer);
        }).subscribe().with(call::complete, call::completeExceptionally));

        assertThat(call.get(30, TimeUnit.SECONDS)).isEqualTo("answer");
    }

    /** A context on another event loop (a thread that is not Vert.x's keeps one loop for all its contexts). */
    private static Context otherLoopThan(Context context) throws Exception {
        String taken = threadOf(context);
        for (int i = 0; i < 16; i++) {
            CompletableFuture<Context> fresh = new CompletableFuture<>();
            Thread thread = new Thread(() -> fresh.complete(vertx.getDelegate().getOrCreateContext()));
            thread.start();
            Context candidate = fresh.get(30, TimeUnit.SECONDS);
            if (!threadOf(candidate).equals(taken)) {
                return candidate;
            }
        }
        throw new AssertionError("Vert.x gave every context the event loop " + taken);
    }

    private static String threadOf(Context context) throws Exception {
        CompletableFuture<String> name = new CompletableFuture<>();
        context.runOnContext(ignored -> name.complete(Thread.currentThread().getName()));
        return name.get(30, TimeUnit.SECONDS);
    }
}
