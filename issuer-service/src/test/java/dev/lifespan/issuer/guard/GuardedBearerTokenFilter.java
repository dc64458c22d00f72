package dev.lifespan.issuer.guard;

import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.guard.BearerAuthenticator;
import dev.lifespan.validator.guard.BearerTokenFilter;
import dev.lifespan.validator.guard.ValidationMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.inject.Provider;
import jakarta.ws.rs.Priorities;

import java.util.Set;

/**
 * The validator library's JAX-RS filter registered the way validator/README.md tells a Quarkus
 * service to: a {@code @Provider} subclass at the authentication priority, over the service's
 * {@link TokenValidator} (looked up on the first request: Quarkus builds providers before runtime
 * configuration exists), counting failures by reason on its MeterRegistry.
 */
@jakarta.ws.rs.ext.Provider
@Priority(Priorities.AUTHENTICATION)
@Guarded
public class GuardedBearerTokenFilter extends BearerTokenFilter {
    static final String AUDIENCE = "lifespan";
    static final String SCOPE = "sessions:read";

    @Inject
    GuardedBearerTokenFilter(Provider<TokenValidator> validator, Provider<MeterRegistry> registry) {
        super(() -> new BearerAuthenticator(validator.get(), new ValidationMetrics(registry.get())), AUDIENCE, SCOPE, Set.of());
    }
}
