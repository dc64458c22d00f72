package dev.lifespan.audit.support;

import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The clock the service reads in tests: real time plus an offset that tests only ever move forward, so retention is
 * tested without waiting days. Events recorded afterwards get later recorded_at times, as they would.
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
