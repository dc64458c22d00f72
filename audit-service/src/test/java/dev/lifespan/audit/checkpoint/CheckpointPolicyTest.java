package dev.lifespan.audit.checkpoint;

import dev.lifespan.audit.verifier.Checkpoint;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class CheckpointPolicyTest {
    static final Instant T = Instant.parse("2025-03-01T10:00:00Z");
    static final Optional<Checkpoint> AT_100 = Optional.of(new Checkpoint(100, "ab".repeat(32), T, "k", "s"));

    @Test
    void nothingAppendedNothingSigned() {
        assertThat(CheckpointPolicy.due(0, Optional.empty(), T, 1000, Duration.ofSeconds(10))).isFalse();
        assertThat(CheckpointPolicy.due(100, AT_100, T.plusSeconds(3600), 1000, Duration.ofSeconds(10))).isFalse();
    }

    @Test
    void firstEventsAreSignedAtOnce() {
        assertThat(CheckpointPolicy.due(1, Optional.empty(), T, 1000, Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void signsAfterEveryNEventsOrEveryInterval() {
        assertThat(CheckpointPolicy.due(1099, AT_100, T.plusSeconds(9), 1000, Duration.ofSeconds(10))).isFalse();
        assertThat(CheckpointPolicy.due(1100, AT_100, T.plusSeconds(1), 1000, Duration.ofSeconds(10))).isTrue();
        assertThat(CheckpointPolicy.due(101, AT_100, T.plusSeconds(10), 1000, Duration.ofSeconds(10))).isTrue();
        assertThat(CheckpointPolicy.due(101, AT_100, T.plusMillis(9_999), 1000, Duration.ofSeconds(10))).isFalse();
    }
}
