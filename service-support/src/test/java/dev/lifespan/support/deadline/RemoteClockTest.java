package dev.lifespan.support.deadline;

import io.smallrye.mutiny.Uni;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The offset to another server's clock, from its answers, and how often it is asked. */
class RemoteClockTest {
    /** The other server's clock runs this far ahead of this one. */
    private static final long AHEAD_MS = 90_000;

    /** This replica's clock, moved by the tests. */
    private final AtomicLong local = new AtomicLong(1_000_000);
    private final AtomicInteger asked = new AtomicInteger();

    /** The other server, answering at once with a clock {@code ahead} of this one. */
    private Uni<Long> answering(long ahead) {
        asked.incrementAndGet();
        return Uni.createFrom().item(() -> local.get() + ahead);
    }

    /** The other server, never answering. */
    private Uni<Long> silent() {
        asked.incrementAndGet();
        return Uni.createFrom().nothing();
    }

    @Test
    void theFirstOffsetIsAskedForAndThenKept() {
        RemoteClock clock = new RemoteClock(Long.MAX_VALUE, local::get);
        assertThat(clock.offset(() -> answering(AHEAD_MS)).await().indefinitely()).isEqualTo(AHEAD_MS);
        local.addAndGet(3_600_000);
        assertThat(clock.offset(() -> answering(5 * AHEAD_MS)).await().indefinitely()).isEqualTo(AHEAD_MS);
        assertThat(asked).hasValue(1);
    }

    @Test
    void anAnswerThatQueuedDoesNotReplaceAKnownOffsetButAPreciseOneDoes() {
        RemoteClock clock = new RemoteClock(Long.MAX_VALUE, local::get);
        long sent = local.get();
        assertThat(clock.measured(sent + AHEAD_MS, sent)).isEqualTo(AHEAD_MS);

        sent = local.get();
        local.addAndGet(10_000); // answered 10 s after it was sent: the server's time is anywhere in those 10 s
        clock.measured(sent + 3 * AHEAD_MS, sent);
        assertThat(clock.offset(this::silent).await().indefinitely()).isEqualTo(AHEAD_MS);

        sent = local.get();
        local.addAndGet(RemoteClock.PRECISE_ROUND_TRIP_MS);
        clock.measured(sent + RemoteClock.PRECISE_ROUND_TRIP_MS / 2 + 2 * AHEAD_MS, sent);
        assertThat(clock.offset(this::silent).await().indefinitely()).isEqualTo(2 * AHEAD_MS);
        assertThat(asked).hasValue(0);
    }

    @Test
    void aStaleOffsetIsRefreshedByOneCallerInTheBackgroundWhileAllGoOnWithTheKnownOne() {
        RemoteClock clock = new RemoteClock(60_000, local::get);
        clock.measured(local.get() + AHEAD_MS, local.get());
        local.addAndGet(59_999);
        assertThat(clock.offset(this::silent).await().indefinitely()).isEqualTo(AHEAD_MS);
        assertThat(asked).as("fresh: not asked").hasValue(0);

        local.addAndGet(1);
        for (int i = 0; i < 100; i++) {
            assertThat(clock.offset(this::silent).await().indefinitely()).as("the known offset, at once").isEqualTo(AHEAD_MS);
        }
        assertThat(asked).as("one refresh per interval, not one per caller").hasValue(1);

        local.addAndGet(60_000);
        assertThat(clock.offset(() -> answering(2 * AHEAD_MS)).await().indefinitely()).isEqualTo(AHEAD_MS);
        assertThat(asked).hasValue(2);
        assertThat(clock.offset(this::silent).await().indefinitely()).as("the refresh's answer, taken").isEqualTo(2 * AHEAD_MS);
    }
}
