package dev.lifespan.support.deadline;

import io.smallrye.mutiny.Uni;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Another server's clock as seen from here: the offset (its milliseconds since the epoch minus this replica's),
 * measured from round trips. Work sent to that server can then carry a run-by time on the server's own clock, so it
 * does nothing if it arrives after its caller gave up, whatever the two clocks say.
 *
 * <p>The server's time is somewhere between sending and receiving, so a measurement is off by at most half its round
 * trip. Round trips longer than {@link #PRECISE_ROUND_TRIP_MS} (an answer that queued behind others) are too vague to
 * replace a known offset. A known offset older than the refresh interval is measured again by one caller, in the
 * background, so a busy server never sees more than one probe per interval.
 */
public final class RemoteClock {
    /** Round trips up to this long measure the offset well enough (run-by budgets are hundreds of ms). */
    public static final long PRECISE_ROUND_TRIP_MS = 50;

    private static final long UNKNOWN = Long.MIN_VALUE;

    private final long refreshMillis;
    private final LongSupplier millis;
    private volatile long offset = UNKNOWN;
    /** When the offset was last measured, or a refresh of it was started. */
    private final AtomicLong measuredAt = new AtomicLong();

    /**
     * @param refreshMillis how long a known offset is used before it is measured again; {@code Long.MAX_VALUE}: only
     *        when the caller's own answers update it ({@link #measured})
     */
    public RemoteClock(long refreshMillis) {
        this(refreshMillis, System::currentTimeMillis);
    }

    /** With this replica's clock given (milliseconds since the epoch), for tests. */
    RemoteClock(long refreshMillis, LongSupplier millis) {
        this.refreshMillis = refreshMillis;
        this.millis = millis;
    }

    /**
     * The offset: as last measured, or asked with {@code remoteNow} (the server's milliseconds since the epoch) when
     * none is known or it is due for a refresh.
     */
    public Uni<Long> offset(Supplier<Uni<Long>> remoteNow) {
        long known = offset;
        long sentAt = millis.getAsLong();
        if (known != UNKNOWN) {
            long measured = measuredAt.get();
            if (sentAt - measured >= refreshMillis && measuredAt.compareAndSet(measured, sentAt)) {
                // One caller refreshes it, in the background; the others, and this one, go on with the known offset.
                remoteNow.get().subscribe().with(now -> measured(now, sentAt), failure -> { });
            }
            return Uni.createFrom().item(known);
        }
        return remoteNow.get().map(now -> measured(now, sentAt));
    }

    /** Takes the offset from an answer that carried the server's time and was sent at {@code sentAt}; returns it. */
    public long measured(long remoteNowMillis, long sentAt) {
        long receivedAt = millis.getAsLong();
        long measured = remoteNowMillis - (sentAt + receivedAt) / 2;
        if (offset == UNKNOWN || receivedAt - sentAt <= PRECISE_ROUND_TRIP_MS) {
            offset = measured;
            measuredAt.set(receivedAt);
        }
        return measured;
    }
}
