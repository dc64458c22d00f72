package dev.lifespan.issuer.profile;

import java.time.Duration;

/**
 * The lifetimes a new session gets after the profile, roles and risk have been applied.
 *
 * @param sessionLifetime absolute lifetime; zero when the profile allows no refresh
 * @param idleTimeout     zero when the profile allows no refresh
 */
public record Lifetimes(String profile, Duration accessTtl, boolean refreshAllowed, Duration sessionLifetime,
        Duration idleTimeout, Duration reuseGrace, boolean deviceBound) {
}
