package dev.lifespan.support.postgres;

import dev.lifespan.support.metrics.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.UniEmitter;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Concurrent calls of one statement sent together, as one statement and one commit: group commit. (The issuer's rate
 * limiter groups its Redis scripts with it too: a Redis script is one statement for this class.)
 *
 * <p>At most {@code maxInFlight} groups run at once. A call that arrives while fewer run is sent at once, alone, so a
 * quiet service waits for nothing; one that arrives while all run waits for the next group, which takes every waiting
 * call (up to {@code maxSize}) as soon as a group finishes. So groups grow with load and no timer is involved.
 *
 * <p>Calls that are equal under {@code order} never share a group (the later one waits for the next), and a group is
 * sent sorted by it, so that two groups running at once take their row locks in the same order and cannot deadlock on
 * each other. A call cancelled or given up while it waits is never sent.
 *
 * <p>{@code send} answers or fails every member of the group it is given; a member it leaves unanswered fails with an
 * internal error, as does every unanswered member when the {@code Uni} it returns fails (with that failure). A group
 * that fails as {@code refusedWhole} says (PostgreSQL refused the statement, so nothing of it was kept: two groups that
 * deadlocked, one call's bad row) is sent again one call at a time, so that one call's trouble is never another's. A
 * group that fails as {@code unanswered} says (given up: the database did not answer it) fails the calls waiting for
 * the next group too, with the same failure: they would go to the same silent database, and their callers are better
 * told to retry now than after another deadline.
 *
 * <p>{@link #meter} publishes what the groups carried and how long they were out ({@code lifespan_statement_group*}):
 * calls ÷ groups is the mean group size, and busy seconds per second ÷ {@code maxInFlight} how much of the time every
 * slot had a group out. Near 1, nearly every call waits for the group before it to end; more groups at once would
 * shorten that wait but make groups smaller, which costs the database more per call (bench/README 4.0z).
 */
public final class StatementGroup<I, O> {

    /** One call in a group: its input, and how to answer it. */
    public interface Member<I, O> {
        I input();

        void answer(O output);

        void fail(Throwable failure);
    }

    private final int maxInFlight;
    private final int maxSize;
    private final Comparator<I> order;
    private final Function<List<Member<I, O>>, Uni<Void>> send;
    private final Predicate<Throwable> refusedWhole;
    private final Predicate<Throwable> unanswered;
    private final LongSupplier nanoTime;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private int inFlight;
    /** Groups finished, the calls they carried, and the nanoseconds they were out, summed; under the lock. */
    private long groupsDone;
    private long callsDone;
    private long busyNanos;

    public StatementGroup(int maxInFlight, int maxSize, Comparator<I> order, Predicate<Throwable> refusedWhole,
            Predicate<Throwable> unanswered, Function<List<Member<I, O>>, Uni<Void>> send) {
        this(maxInFlight, maxSize, order, refusedWhole, unanswered, send, System::nanoTime);
    }

    /** As above, timing groups by {@code nanoTime} (tests give a clock of their own). */
    StatementGroup(int maxInFlight, int maxSize, Comparator<I> order, Predicate<Throwable> refusedWhole,
            Predicate<Throwable> unanswered, Function<List<Member<I, O>>, Uni<Void>> send, LongSupplier nanoTime) {
        if (maxInFlight < 1 || maxSize < 1) {
            throw new IllegalArgumentException("maxInFlight and maxSize must be at least 1, got " + maxInFlight + " and " + maxSize);
        }
        this.maxInFlight = maxInFlight;
        this.maxSize = maxSize;
        this.order = Objects.requireNonNull(order, "order");
        this.send = Objects.requireNonNull(send, "send");
        this.refusedWhole = Objects.requireNonNull(refusedWhole, "refusedWhole");
        this.unanswered = Objects.requireNonNull(unanswered, "unanswered");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /**
     * Publishes this group's counters under {@code kind}: {@code lifespan_statement_groups_total} (groups carried out,
     * a refused group sent again call by call counting once), {@code lifespan_statement_group_calls_total} (the calls
     * they carried) and {@code lifespan_statement_group_busy_seconds_total} (from sending each group to its end, summed
     * over the groups out at once).
     */
    public StatementGroup<I, O> meter(MeterRegistry registry, String kind) {
        Tags tags = Tags.of("kind", kind);
        Meters.counter(registry, "lifespan_statement_groups", tags, "Groups of calls carried out together (group commit)", null,
                this, group -> group.read(() -> group.groupsDone));
        Meters.counter(registry, "lifespan_statement_group_calls", tags, "Calls carried out in groups; divided by the groups, the mean group size",
                null, this, group -> group.read(() -> group.callsDone));
        Meters.counter(registry, "lifespan_statement_group_busy", tags, "Seconds groups were out, summed over the groups out at once; per "
                + "second and divided by the groups allowed at once, how much of the time every slot was taken", "seconds",
                this, group -> group.read(() -> group.busyNanos) / 1e9);
        return this;
    }

    private synchronized double read(LongSupplier counter) {
        return counter.getAsLong();
    }

    /** The call's answer, once the group it joins has been carried out. */
    public Uni<O> submit(I input) {
        return submit(input, () -> true);
    }

    /**
     * As {@link #submit(Object)}, for a call that may be given up while it waits: {@code take} is asked when a group is
     * about to take the call, and a call it refuses is dropped, never sent ({@link BoundedPostgres#queued}).
     */
    public Uni<O> submit(I input, BooleanSupplier take) {
        return Uni.createFrom().emitter(emitter -> {
            Waiting call = new Waiting(input, take, emitter);
            emitter.onTermination(call::cancelled);
            List<Waiting> group;
            synchronized (this) {
                waiting.add(call);
                group = nextGroup();
            }
            sendGroup(group);
        });
    }

    /** Groups being carried out now (for tests). */
    synchronized int inFlight() {
        return inFlight;
    }

    /** The next group if one may start, counted as in flight; null otherwise. Called under the lock. */
    private List<Waiting> nextGroup() {
        if (inFlight >= maxInFlight || waiting.isEmpty()) {
            return null;
        }
        List<Waiting> group = new ArrayList<>(Math.min(maxSize, waiting.size()));
        Iterator<Waiting> it = waiting.iterator();
        while (it.hasNext() && group.size() < maxSize) {
            Waiting call = it.next();
            if (call.cancelled) {
                it.remove();
            } else if (group.stream().noneMatch(member -> order.compare(member.input, call.input) == 0)) {
                it.remove();
                if (call.take.getAsBoolean()) {
                    group.add(call);
                }
            }
        }
        if (group.isEmpty()) {
            return null;
        }
        group.sort((a, b) -> order.compare(a.input, b.input));
        inFlight++;
        return group;
    }

    private void sendGroup(List<Waiting> group) {
        if (group == null) {
            return;
        }
        long sentAt = nanoTime.getAsLong();
        Uni<Void> sent = sendNow(group);
        if (group.size() > 1) {
            // Refused as a whole: nothing of it was kept. Each call again on its own, so one call's trouble is only its own;
            // once one of them goes unanswered, the rest are told so instead of each waiting for its own deadline.
            AtomicReference<Throwable> silent = new AtomicReference<>();
            sent = sent.onFailure(refusedWhole).recoverWithUni(() -> Multi.createFrom().iterable(group).filter(member -> !member.done())
                    .onItem().transformToUniAndConcatenate(member -> {
                        if (silent.get() != null) {
                            member.fail(silent.get());
                            return Uni.createFrom().voidItem();
                        }
                        return sendNow(List.of(member)).onFailure().recoverWithUni(failure -> {
                            if (unanswered.test(failure)) {
                                silent.set(failure);
                            }
                            member.fail(failure);
                            return Uni.createFrom().voidItem();
                        });
                    })
                    .collect().last().replaceWithVoid());
        }
        sent.subscribe().with(done -> finished(group, sentAt, null), failure -> finished(group, sentAt, failure));
    }

    private Uni<Void> sendNow(List<Waiting> group) {
        try {
            return send.apply(List.copyOf(group));
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(e);
        }
    }

    private void finished(List<Waiting> group, long sentAt, Throwable failure) {
        for (Waiting member : group) {
            // Asked first, since as a rule every member is answered: an exception made for each would cost its stack trace
            // per call (about 3 us of a service token's CPU, bench/README 4.0r).
            if (!member.done()) {
                member.fail(failure != null ? failure : new IllegalStateException("no answer for a member of a statement group"));
            }
        }
        List<Waiting> next;
        List<Waiting> told = List.of();
        synchronized (this) {
            inFlight--;
            groupsDone++;
            callsDone += group.size();
            busyNanos += nanoTime.getAsLong() - sentAt;
            if (failure != null && unanswered.test(failure)) {
                told = new ArrayList<>(waiting);
                waiting.clear();
            }
            next = nextGroup();
        }
        for (Waiting call : told) {
            call.fail(failure);
        }
        sendGroup(next);
    }

    /** A call waiting to be sent, then for its group's answer. Answered at most once. */
    private final class Waiting implements Member<I, O> {
        private final I input;
        private final BooleanSupplier take;
        private final UniEmitter<? super O> emitter;
        /** The caller's Vert.x context, if it has one: where it continues. */
        private final Context context;
        private volatile boolean cancelled;
        private boolean done;

        Waiting(I input, BooleanSupplier take, UniEmitter<? super O> emitter) {
            this.input = input;
            this.take = take;
            this.context = Vertx.currentContext();
            this.emitter = emitter;
        }

        @Override
        public I input() {
            return input;
        }

        @Override
        public void answer(O output) {
            if (settle()) {
                continueOnItsContext(() -> emitter.complete(output));
            }
        }

        @Override
        public void fail(Throwable failure) {
            if (settle()) {
                continueOnItsContext(() -> emitter.fail(failure));
            }
        }

        /**
         * Each caller continues on its own context, as a task of its own: a group's answer arrives on one event loop,
         * and its callers' work after it (signing a token, writing the response) run there back to back would hold that
         * loop, and the Redis and PostgreSQL answers it carries for other requests, for the whole group (seen: a burst
         * of a thousand grants made the rate limiter find Redis silent and let requests through uncounted).
         */
        private void continueOnItsContext(Runnable next) {
            if (context == null) {
                next.run();
            } else {
                context.runOnContext(ignored -> next.run());
            }
        }

        private synchronized boolean done() {
            return done;
        }

        private synchronized boolean settle() {
            if (done) {
                return false;
            }
            done = true;
            return true;
        }

        private void cancelled() {
            cancelled = true;
        }
    }
}
