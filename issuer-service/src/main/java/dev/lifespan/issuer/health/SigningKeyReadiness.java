package dev.lifespan.issuer.health;

import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.support.time.Clocks;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.InstantSource;

/** Not ready while no key can sign (PostgreSQL and Redis have their own extension-provided checks). */
@Readiness
@ApplicationScoped
public class SigningKeyReadiness implements HealthCheck {
    private final SigningKeyRing ring;
    private final InstantSource clock;

    public SigningKeyReadiness(SigningKeyRing ring, InstantSource clock) {
        this.ring = ring;
        this.clock = clock;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("active-signing-key").status(ring.hasSigningKey(Clocks.now(clock))).build();
    }
}
