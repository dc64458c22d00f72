package dev.lifespan.validator.report;

import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

/**
 * Occurrences counted per minute and group, drained now and then as a few counts rather than one record each: a flood
 * costs a map entry, not a row. Bounded: at most {@code maxGroups} groups are held between two {@link #drain drains};
 * once full, an occurrence of a new group is counted under its folded form (the caller's function drops the parts an
 * outsider could vary), marked {@link Count#folded()}.
 *
 * <p>Thread-safe; {@link #add} is one map update under its bin's lock, no I/O.
 *
 * @param <K> the group (a record of what is counted together)
 */
public final class MinuteCounts<K> {
    private final InstantSource clock;
    private final int maxGroups;
    private final ConcurrentHashMap<Slot<K>, Tally> groups = new ConcurrentHashMap<>();
    private final AtomicLong total = new AtomicLong();

    /**
     * Occurrences of one group within one minute since the last drain.
     *
     * @param minute the start of the minute (UTC)
     * @param count  how many, at least 1
     * @param lastAt when the last of them happened
     * @param folded true when the group was folded because the counts were full
     */
    public record Count<K>(Instant minute, K group, long count, Instant lastAt, boolean folded) {
    }

    private record Slot<K>(long minute, K group, boolean folded) {
    }

    /** Mutated only inside the map's compute functions. */
    private static final class Tally {
        long count;
        Instant lastAt;
    }

    public MinuteCounts(InstantSource clock, int maxGroups) {
        if (maxGroups < 1) {
            throw new IllegalArgumentException("maxGroups must be at least 1");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        this.maxGroups = maxGroups;
    }

    /** Counts one occurrence of {@code group} now, or of {@code fold.apply(group)} when full and the group is new. */
    public void add(K group, UnaryOperator<K> fold) {
        Instant now = clock.instant();
        long minute = now.truncatedTo(ChronoUnit.MINUTES).getEpochSecond();
        Slot<K> slot = new Slot<>(minute, group, false);
        if (groups.size() >= maxGroups && !groups.containsKey(slot)) {
            slot = new Slot<>(minute, fold.apply(group), true);
        }
        groups.compute(slot, (k, tally) -> {
            Tally t = tally == null ? new Tally() : tally;
            t.count++;
            t.lastAt = t.lastAt == null || now.isAfter(t.lastAt) ? now : t.lastAt;
            return t;
        });
        total.incrementAndGet();
    }

    /**
     * Everything counted since the last drain, oldest minute first, and forgets it: nothing is counted twice or lost
     * between two drains (each group is taken out atomically).
     */
    public List<Count<K>> drain() {
        List<Count<K>> counts = new ArrayList<>();
        for (Slot<K> slot : groups.keySet()) {
            groups.computeIfPresent(slot, (k, tally) -> {
                counts.add(new Count<>(Instant.ofEpochSecond(k.minute()), k.group(), tally.count, tally.lastAt, k.folded()));
                return null;
            });
        }
        counts.sort(Comparator.comparing((Count<K> c) -> c.minute()).thenComparing(Count::lastAt));
        return List.copyOf(counts);
    }

    /** Groups held now (at most {@code maxGroups} plus the folded ones). */
    public int groups() {
        return groups.size();
    }

    /** Occurrences counted since these counts were made, drained or not. */
    public long total() {
        return total.get();
    }
}
