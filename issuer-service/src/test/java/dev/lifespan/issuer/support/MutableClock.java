package dev.lifespan.issuer.support;

import dev.lifespan.devstack.ForwardClock;
import io.quarkus.test.Mock;
import jakarta.inject.Singleton;

/**
 * The clock the issuer reads in tests: real time plus an offset that tests only ever move
 * forward (keys and sessions made at a later time must never find themselves in the future),
 * so idle timeouts, absolute lifetimes and key rotation are tested without waiting.
 */
@Mock
@Singleton
public class MutableClock extends ForwardClock {
}
