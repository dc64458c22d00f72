package dev.lifespan.revocation.support;

import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock the service reads in tests: real time plus an offset that tests only ever move
 * forward, so rule expiry is tested without waiting. Tests that move it make their own rules
 * afterwards and never rely on rules made before.
 */
@Mock
@Singleton
public class MutableClock implements InstantSource {
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    @Override
    public Instant instant() {
        return Instant.now().plus(offset.get());
    }

    public void advance(Duration by) {
        offset.updateAndGet(o -> o.plus(by));
    }
}
