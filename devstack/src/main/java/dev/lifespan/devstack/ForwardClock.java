package dev.lifespan.devstack;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock for tests of time rules: real time plus an offset that only ever moves forward, so that what a service made
 * earlier never finds itself in the future. Each service's tests install it as their {@code InstantSource} bean (a
 * {@code @Mock} subclass).
 */
public class ForwardClock implements InstantSource {
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    @Override
    public Instant instant() {
        return Instant.now().plus(offset.get());
    }

    /** Moves the clock forward; a negative {@code by} is refused. */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a test clock only moves forward, not by " + by);
        }
        offset.updateAndGet(o -> o.plus(by));
    }
}
