package dev.lifespan.cli;

import dev.lifespan.cli.input.TimeInput;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeInputTest {
    private static final Instant NOW = Instant.parse("2026-12-02T10:42:00Z");
    private static final InstantSource CLOCK = InstantSource.fixed(NOW);

    @Test
    void acceptsInstantsOffsetsNowAndSpansBeforeNow() {
        assertThat(TimeInput.instant("2026-12-02T09:00:00Z", CLOCK)).isEqualTo(Instant.parse("2026-12-02T09:00:00Z"));
        assertThat(TimeInput.instant("2026-12-02T11:00:00+01:00", CLOCK)).isEqualTo(Instant.parse("2026-12-02T10:00:00Z"));
        assertThat(TimeInput.instant("now", CLOCK)).isEqualTo(NOW);
        assertThat(TimeInput.instant("10m", CLOCK)).isEqualTo(NOW.minus(Duration.ofMinutes(10)));
        assertThat(TimeInput.instant("1d", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(1)));
        assertThat(TimeInput.span("PT30S")).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void refusesAnythingElseSayingWhatATimeIs() {
        assertThatThrownBy(() -> TimeInput.instant("yesterday", CLOCK)).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessageContaining("ISO-8601");
        assertThatThrownBy(() -> new TimeInput.DurationConverter().convert("0s")).hasMessageContaining("not a positive duration");
    }
}
