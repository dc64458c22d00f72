package dev.lifespan.audit.retention;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Which time partitions of {@code audit_event} should exist and which have expired: pure, tested without a database.
 * Partitions are {@code span} long, aligned to the epoch in UTC, named {@code audit_event_yyyymmdd_hhmmss} after their
 * start; a change of span never makes them overlap (a new one starts where an existing one ends).
 */
public final class PartitionPlan {
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("uuuuMMdd_HHmmss").withZone(ZoneOffset.UTC);

    private PartitionPlan() {
    }

    /** One partition: [startsAt, endsAt). */
    public record Range(String name, Instant startsAt, Instant endsAt) {
        public boolean contains(Instant t) {
            return !t.isBefore(startsAt) && t.isBefore(endsAt);
        }

        boolean overlaps(Instant from, Instant to) {
            return startsAt.isBefore(to) && from.isBefore(endsAt);
        }
    }

    /** The aligned slot holding {@code t}. */
    public static Range slot(Instant t, Duration span) {
        long spanMs = span.toMillis();
        long start = Math.floorDiv(t.toEpochMilli(), spanMs) * spanMs;
        Instant startsAt = Instant.ofEpochMilli(start);
        return new Range(name(startsAt), startsAt, startsAt.plus(span));
    }

    public static String name(Instant startsAt) {
        return "audit_event_" + NAME.format(startsAt);
    }

    /**
     * The partitions to create so that {@code t} and the {@code ahead} slots after it are covered, given those that exist;
     * each is clipped so it never overlaps an existing one.
     */
    public static List<Range> missing(Instant t, Duration span, int ahead, List<Range> existing) {
        List<Range> create = new ArrayList<>();
        List<Range> known = new ArrayList<>(existing);
        Range slot = slot(t, span);
        for (int i = 0; i <= ahead; i++) {
            Instant from = slot.startsAt().plus(span.multipliedBy(i));
            Instant to = from.plus(span);
            for (Range r : known.stream().sorted(Comparator.comparing(Range::startsAt)).toList()) {
                if (r.overlaps(from, to)) {
                    if (!r.startsAt().isAfter(from)) {
                        from = r.endsAt().isAfter(from) ? r.endsAt() : from;
                    } else {
                        to = r.startsAt();
                    }
                }
            }
            if (from.isBefore(to)) {
                Range range = new Range(name(from), from, to);
                create.add(range);
                known.add(range);
            }
        }
        return create;
    }

    /** Partitions entirely older than {@code now - keep}, oldest first. */
    public static List<Range> expired(List<Range> existing, Instant now, Duration keep) {
        Instant cutoff = now.minus(keep);
        return existing.stream().filter(r -> !r.endsAt().isAfter(cutoff)).sorted(Comparator.comparing(Range::startsAt)).toList();
    }
}
