package dev.lifespan.revocation.support;

import dev.lifespan.devstack.ForwardClock;
import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

/**
 * The clock the service reads in tests: real time plus an offset that tests only ever move
 * forward, so rule expiry is tested without waiting. Tests that move it make their own rules
 * afterwards and never rely on rules made before.
 */
@Mock
@Singleton
public class MutableClock extends ForwardClock {
}
