package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.guard.Authentication;
import dev.lifespan.validator.guard.BearerAuthenticator;
import dev.lifespan.validator.guard.ValidationMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * Checks the service token a caller of a privileged RPC presents with the validator library's
 * {@link BearerAuthenticator}, the RFC 6750 decision every validating node makes, on this issuer's
 * own published keys and revocation feed (no network call). The token must carry the configured
 * audience and the RPC's scope, and no revocation rule may cover it. Outcomes are counted by reason
 * in {@code lifespan_token_validations_total{outcome}}. Refusals are errors in the service's own
 * vocabulary, so callers get an {@code ErrorInfo} reason ({@code invalid_client},
 * {@code insufficient_scope}) as well as the validator's reason in the description.
 */
@Singleton
public class CallerAuthentication {
    private final BearerAuthenticator authenticator;
    private final String audience;

    public CallerAuthentication(TokenValidator validator, LifespanConfig config, MeterRegistry registry) {
        this.authenticator = new BearerAuthenticator(validator, new ValidationMetrics(registry));
        this.audience = config.callerAuth().audience();
    }

    /** The authenticated caller's client id, or an UNAUTHENTICATED / PERMISSION_DENIED error. */
    public String authenticate(String authorization, String requiredScope) {
        Authentication authentication = authenticator.authenticate(authorization, audience, requiredScope);
        return switch (authentication.outcome()) {
            case AUTHENTICATED -> {
                VerifiedClaims claims = authentication.claims();
                yield Optional.ofNullable(claims.clientId()).orElse(claims.subject());
            }
            case INSUFFICIENT_SCOPE -> throw new ServiceException(ErrorKind.INSUFFICIENT_SCOPE, authentication.reason());
            case MISSING_CREDENTIALS, INVALID_TOKEN -> throw new ServiceException(ErrorKind.INVALID_CLIENT,
                    "caller not authenticated: " + authentication.reason());
        };
    }
}
