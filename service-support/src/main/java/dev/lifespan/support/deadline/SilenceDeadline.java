package dev.lifespan.support.deadline;

import io.netty.util.concurrent.EventExecutor;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.mutiny.core.Vertx;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Calls to a dependency that fail, instead of waiting for ever, when the dependency goes silent. A server that keeps its
 * connections open but stops answering (a paused process, a half-open connection to a host that died) fails nothing on
 * its own. Here a call fails with {@link Late}, a {@link TimeoutException}, which {@code Failures} sorts as the
 * dependency being down, so each caller handles it as it handles an unreachable one.
 *
 * <p>While a call waits for a connection what counts is the dependency's silence, not the call's wait: it fails once
 * the dependency has answered <em>nothing</em> (to any call made through this instance) for the deadline. Under a
 * burst, calls queue for a pooled connection for longer than the deadline while the dependency answers steadily;
 * failing them would turn a busy dependency into an outage. Once its work is {@link Call#sent sent} on a connection, a
 * call also fails when that work has gone unanswered for the deadline: after a failover the connections open until
 * then are dead while new ones answer, and each would otherwise hold its caller. A call fails after
 * {@link #MAX_WAIT_FACTOR} deadlines whatever else is answered.
 *
 * <p>A call that failed here is not withdrawn: the dependency may still carry it out once it answers again. A caller
 * that must not take effect late holds its {@link Call} before it sends what it cannot take back, and sends nothing
 * if the call was given up already. The deadline is a Vert.x timer set on the caller's context, so a late failure
 * arrives on the event loop an answer would have. (One periodic sweep per client instead of a timer per call was
 * tried and measured no faster: bench/README.md section 4.0a.)
 *
 * <p>Silence is judged by what this process has read, so before a call is given up every event loop runs its network
 * input once more: an answer that arrived while the loop its connection lives on was busy (a burst on a cold JVM, a
 * pause) is read then, and the call is answered instead of given up. A dependency that really is silent costs that
 * check a few microseconds more.
 */
public final class SilenceDeadline {
    /** The longest a call waits, in deadlines, while the dependency answers others. */
    public static final int MAX_WAIT_FACTOR = 20;

    private final Vertx vertx;
    private final Duration deadline;
    private final long deadlineNanos;
    private final String dependency;
    /** {@link System#nanoTime()} of the dependency's latest answer through this instance. */
    private final AtomicLong lastAnswer;

    /** @param dependency what is called, as it reads in a failure ("Redis", "PostgreSQL") */
    public SilenceDeadline(Vertx vertx, Duration deadline, String dependency) {
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("a " + dependency + " deadline must be positive, got " + deadline);
        }
        this.vertx = vertx;
        this.deadline = deadline;
        this.deadlineNanos = deadline.toNanos();
        this.dependency = dependency;
        this.lastAnswer = new AtomicLong(System.nanoTime() - deadlineNanos);
    }

    /** The call, failed with {@link Late} when the dependency has been silent for the deadline. */
    public <T> Uni<T> bound(Uni<T> call) {
        return bound(ignored -> call);
    }

    /** One call in progress, as its caller sees it. */
    public interface Call {
        /** True once the caller has been answered without this call (given up as late, or cancelled). */
        boolean givenUp();

        /**
         * Keeps the caller waiting, however silent the dependency, until {@code nanoTime} ({@link System#nanoTime()}),
         * for work it cannot take back once sent. False, holding nothing, if the caller was already given up: then
         * the work must not be sent. Deciding and giving up exclude each other, so no work is sent for a caller
         * given up.
         */
        boolean holdUntil(long nanoTime);

        /**
         * Runs {@code action} when the call is given up as late (at once if it already was), after its caller has been
         * answered; never when it is answered or cancelled. For what a silence leaves behind: a connection that may
         * never answer again.
         */
        void whenLate(Runnable action);

        /**
         * The work is on its way to the dependency (written to a connection). From now on the call is given up once it
         * has gone unanswered for the deadline, whatever the dependency answers to others: a connection that went dead
         * (the server failed over, its host died) looks exactly like that, and answering to others is what the
         * replacement connections do. Until then only the dependency's silence counts (a queue for connections under
         * a burst is waited out).
         */
        void sent();
    }

    /** The call made by {@code call}, failed with {@link Late} when the dependency has been silent for the deadline. */
    public <T> Uni<T> bound(Function<Call, Uni<T>> call) {
        return Uni.createFrom().emitter(emitter -> {
            Pending pending = new Pending(emitter);
            emitter.onTermination(pending::ended);
            pending.arm(deadline.toMillis());
            Uni<T> started;
            try {
                started = call.apply(pending);
            } catch (RuntimeException e) {
                emitter.fail(e);
                return;
            }
            started.subscribe().with(answer -> {
                answered();
                emitter.complete(answer);
            }, failure -> {
                // A failure after the call was given up may be what giving up did (its connection closed), not an answer.
                if (!(failure instanceof Late) && !pending.givenUpAsLate()) {
                    answered();
                }
                emitter.fail(failure);
            });
        });
    }

    /** A call waiting for its answer: its timer, and whether it is held or given up (decided under its lock). */
    private final class Pending implements Call {
        private final UniEmitter<?> emitter;
        private final long started = System.nanoTime();
        private long sentAt;
        private boolean sent;
        private long timer = -1;
        private long heldUntil = started;
        private boolean givenUp;
        private boolean late;
        private Runnable whenLate = () -> { };

        Pending(UniEmitter<?> emitter) {
            this.emitter = emitter;
        }

        @Override
        public synchronized boolean givenUp() {
            return givenUp;
        }

        @Override
        public synchronized boolean holdUntil(long nanoTime) {
            if (givenUp) {
                return false;
            }
            heldUntil = Math.max(heldUntil, nanoTime);
            return true;
        }

        @Override
        public void whenLate(Runnable action) {
            synchronized (this) {
                if (!late) {
                    Runnable before = whenLate;
                    whenLate = () -> {
                        before.run();
                        action.run();
                    };
                    return;
                }
            }
            action.run();
        }

        @Override
        public synchronized void sent() {
            if (!sent) {
                sent = true;
                sentAt = System.nanoTime();
            }
        }

        synchronized boolean givenUpAsLate() {
            return late;
        }

        /** Sets the one timer of this call (replacing one still pending). */
        synchronized void arm(long delayMillis) {
            if (!givenUp) {
                if (timer >= 0) {
                    vertx.cancelTimer(timer);
                }
                timer = vertx.setTimer(Math.max(1, delayMillis), id -> expired());
            }
        }

        private void expired() {
            expired(false);
        }

        /** @param loopsCaughtUp every event loop has read its network input since this call was found due */
        private void expired(boolean loopsCaughtUp) {
            long now = System.nanoTime();
            long silence = now - lastAnswer.get();
            Runnable afterwards;
            synchronized (this) {
                if (givenUp) {
                    return;
                }
                if (heldUntil - now > 0) {
                    arm((heldUntil - now) / 1_000_000 + 1);
                    return;
                }
                boolean unansweredSinceSent = sent && now - sentAt >= deadlineNanos;
                if (silence < deadlineNanos && now - started < MAX_WAIT_FACTOR * deadlineNanos && !unansweredSinceSent) {
                    // Answers to others came within the deadline: busy, not silent. Wait until the deadline after that
                    // answer, or after the work was sent if that comes first.
                    long next = deadlineNanos - silence;
                    if (sent) {
                        next = Math.min(next, sentAt + deadlineNanos - now);
                    }
                    arm(next / 1_000_000 + 1);
                    return;
                }
                if (!loopsCaughtUp && now - started < MAX_WAIT_FACTOR * deadlineNanos) {
                    afterEventLoopsReadTheirInput(() -> expired(true));
                    // Should a loop be stuck for good, the longest wait still ends it.
                    arm((started + MAX_WAIT_FACTOR * deadlineNanos - now) / 1_000_000 + 1);
                    return;
                }
                givenUp = true;
                late = true;
                afterwards = whenLate;
            }
            emitter.fail(late());
            afterwards.run();
        }

        /** Answered, failed or cancelled: nothing more to wait for. */
        void ended() {
            long armed;
            synchronized (this) {
                givenUp = true;
                armed = timer;
            }
            vertx.cancelTimer(armed);
        }
    }

    /**
     * Runs {@code then} on the current context once every event loop has run a full round of network input after now:
     * two hops of a task scheduled on each loop (a scheduled task runs after the loop's next read of its sockets, and the
     * second hop makes sure that read started after the first hop), then back on the context the call lives on.
     */
    private void afterEventLoopsReadTheirInput(Runnable then) {
        Context context = vertx.getDelegate().getOrCreateContext();
        List<EventExecutor> loops = new ArrayList<>();
        vertx.getDelegate().nettyEventLoopGroup().forEach(loops::add);
        AtomicInteger remaining = new AtomicInteger(loops.size());
        for (EventExecutor loop : loops) {
            loop.schedule(() -> loop.schedule(() -> {
                if (remaining.decrementAndGet() == 0) {
                    context.runOnContext(ignored -> then.run());
                }
            }, 0, TimeUnit.NANOSECONDS), 0, TimeUnit.NANOSECONDS);
        }
    }

    private void answered() {
        lastAnswer.set(System.nanoTime());
    }

    /** {@link System#nanoTime()} of the latest answer, for tests. */
    long lastAnswerNanos() {
        return lastAnswer.get();
    }

    public Duration deadline() {
        return deadline;
    }

    /**
     * How long after it was sent work that must not take effect late may still run (its run-by, on the dependency's
     * clock): three quarters of the deadline, leaving the rest for its answer to come back before the caller is given up.
     */
    public long runByBudgetMillis() {
        return deadline.toMillis() * 3 / 4;
    }

    /** The failure of a call given up: for a caller that finds out by itself that its answer came too late. */
    public Late late() {
        return new Late(dependency, deadline);
    }

    /** The dependency did not answer within the deadline. */
    public static final class Late extends TimeoutException {
        private final String dependency;

        Late(String dependency, Duration deadline) {
            super(dependency + " answered nothing for " + deadline.toMillis() + " ms");
            this.dependency = dependency;
        }

        /** What went silent ("Redis", "PostgreSQL"). */
        public String dependency() {
            return dependency;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // an outage, reported by its type: a stack says nothing more
        }
    }
}
