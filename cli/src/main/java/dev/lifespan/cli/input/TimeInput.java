package dev.lifespan.cli.input;

import picocli.CommandLine;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the command reads times and durations. A time is an ISO-8601 instant ({@code 2026-12-02T10:42:00Z}), an ISO-8601
 * date-time with an offset ({@code 2026-12-02T11:42:00+01:00}), {@code now}, or a span before now ({@code 10m},
 * {@code 2h}, {@code 1d}, {@code 30s}: ten minutes ago, ...). A duration is such a span ({@code 500ms}, {@code 10s},
 * {@code 5m}) or ISO-8601 ({@code PT10S}). Anything else is refused naming the option (picocli adds it).
 */
public final class TimeInput {
    private static final Pattern SPAN = Pattern.compile("(\\d{1,9})(ms|s|m|h|d)");

    private TimeInput() {
    }

    /** A span such as {@code 10m} or {@code PT10M}; null when {@code text} is neither. */
    public static Duration span(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Matcher m = SPAN.matcher(t);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.strip());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** A time as described above, relative spans counted back from {@code clock}'s now. */
    public static Instant instant(String text, InstantSource clock) {
        String t = text.strip();
        if (t.equalsIgnoreCase("now")) {
            return clock.instant();
        }
        Duration ago = span(t);
        if (ago != null && !ago.isNegative()) {
            return clock.instant().minus(ago);
        }
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notAnInstant) {
            try {
                return OffsetDateTime.parse(t).toInstant();
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not a time: give an ISO-8601 instant such as"
                        + " 2026-12-02T10:42:00Z, a date-time with an offset, now, or a span before now such as 10m, 2h, 1d");
            }
        }
    }

    /** Picocli converter for time options. */
    public static final class InstantConverter implements CommandLine.ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            return instant(value, InstantSource.system());
        }
    }

    /** Picocli converter for positive duration options. */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            Duration d = span(value);
            if (d == null || d.isZero() || d.isNegative()) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a positive duration: give e.g. 500ms, 10s, 5m, 1h or PT10S");
            }
            return d;
        }
    }
}
