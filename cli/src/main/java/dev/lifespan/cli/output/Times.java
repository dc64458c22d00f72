package dev.lifespan.cli.output;

import com.google.protobuf.Timestamp;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Times as the command shows them: ISO-8601 instants to the second, empty when unset, and spans in words. */
public final class Times {
    private Times() {
    }

    public static Instant instant(Timestamp t) {
        return t == null || (t.getSeconds() == 0 && t.getNanos() == 0) ? null : Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    /** {@code 2026-12-02T10:42:07Z}, or empty when unset. */
    public static String show(Timestamp t) {
        Instant i = instant(t);
        return i == null ? "" : i.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static String show(Instant i) {
        return i == null ? "" : i.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A span in words: {@code 4m 10s}, {@code 2d 3h}. */
    public static String span(Duration d) {
        long s = Math.abs(d.toSeconds());
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m " + s % 60 + "s";
        }
        if (s < 86400) {
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        }
        return s / 86400 + "d " + s % 86400 / 3600 + "h";
    }

    /** {@code in 4m 10s} or {@code 3m 2s ago}. */
    public static String relative(Instant then, Instant now) {
        Duration d = Duration.between(now, then);
        return d.isNegative() ? span(d) + " ago" : "in " + span(d);
    }
}
