package dev.lifespan.audit.support;

import dev.lifespan.devstack.ForwardClock;
import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

/**
 * The clock the service reads in tests: real time plus an offset that tests only ever move forward, so retention is
 * tested without waiting days. Events recorded afterwards get later recorded_at times, as they would.
 */
@Mock
@Singleton
public class MutableClock extends ForwardClock {
}
