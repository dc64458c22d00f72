package dev.lifespan.issuer.support;

import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock the issuer reads in tests: real time plus an offset that tests only ever move
 * forward (keys and sessions made at a later time must never find themselves in the future),
 * so idle timeouts, absolute lifetimes and key rotation are tested without waiting.
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
