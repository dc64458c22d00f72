package dev.lifespan.support.metrics;

import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class FeedGaugesTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-05T10:00:00Z"));
    private final InstantSource clock = () -> now.get();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final RevocationFeed feed = new RevocationFeed(RevocationFeed.Settings.defaults(), after -> { },
            (lastFresh, failingOpen) -> { });

    private double inStep() {
        return registry.get(FeedGauges.IN_STEP).gauge().value();
    }

    private double unheard() {
        return registry.get(FeedGauges.UNHEARD).gauge().value();
    }

    private void later(Duration by) {
        now.set(now.get().plus(by));
    }

    @Test
    void aFeedNeverInStepCountsFromTheStartNotAsAConstant() {
        AtomicReference<Optional<RevocationFeed>> built = new AtomicReference<>(Optional.empty());
        FeedGauges.register(registry, clock, () -> true, built::get);
        later(Duration.ofSeconds(30));
        assertThat(inStep()).isZero();
        assertThat(unheard()).isEqualTo(30.0);

        built.set(Optional.of(feed));                  // the node is built, but its feed never loads a snapshot
        later(Duration.ofSeconds(100));
        assertThat(inStep()).isZero();
        assertThat(unheard()).isEqualTo(130.0);
    }

    @Test
    void inStepThenUnheardSinceTheLastMomentInStep() {
        FeedGauges.register(registry, clock, () -> true, () -> Optional.of(feed));
        later(Duration.ofSeconds(10));
        feed.loadSnapshot(List.of(), 0, now.get());
        later(Duration.ofMillis(1_500));
        assertThat(inStep()).isEqualTo(1.0);
        assertThat(unheard()).isEqualTo(1.5);

        later(Duration.ofSeconds(40));                 // no heartbeat: stale after max-staleness (5 s)
        assertThat(inStep()).isZero();
        assertThat(unheard()).isEqualTo(41.5);

        feed.heartbeat(0, now.get());
        assertThat(inStep()).isEqualTo(1.0);
        assertThat(unheard()).isZero();
    }

    @Test
    void offIsMinusOneAndNeverInStep() {
        FeedGauges.register(registry, clock, () -> false, () -> Optional.of(feed));
        feed.loadSnapshot(List.of(), 0, now.get());
        later(Duration.ofSeconds(500));
        assertThat(inStep()).isZero();
        assertThat(unheard()).isEqualTo(-1.0);
    }

    @Test
    void aSecondRegistrationReplacesTheFirstsGauges() {
        FeedGauges.register(registry, clock, () -> false, Optional::empty);
        FeedGauges.register(registry, clock, () -> true, () -> Optional.of(feed));
        feed.loadSnapshot(List.of(), 0, now.get());
        assertThat(registry.find(FeedGauges.UNHEARD).gauges()).hasSize(1);
        assertThat(inStep()).isEqualTo(1.0);
    }
}
