package dev.lifespan.audit.alert;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The schedule of later tries; the tries themselves are tested end to end in {@link AlertsTest}. */
class RevocationRetriesTest {
    @Test
    void laterTriesWaitFiveSecondsThenTwiceAsLongUpToAMinute() {
        assertThat(RevocationRetries.waitAfter(1)).isEqualTo(Duration.ofSeconds(5));
        assertThat(RevocationRetries.waitAfter(2)).isEqualTo(Duration.ofSeconds(10));
        assertThat(RevocationRetries.waitAfter(4)).isEqualTo(Duration.ofSeconds(40));
        assertThat(RevocationRetries.waitAfter(5)).isEqualTo(Duration.ofMinutes(1));
        assertThat(RevocationRetries.waitAfter(10_000)).isEqualTo(Duration.ofMinutes(1));
    }
}
