package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import jakarta.inject.Singleton;

import java.util.Optional;

/**
 * Checks the service token a caller of a privileged RPC presents, with the same validator library
 * every validating node embeds, fed by this issuer's own published keys (no network call). The
 * token must carry the configured audience and the RPC's scope, and no revocation rule of the
 * issuer's feed may cover it.
 */
@Singleton
public class CallerAuthentication {
    private final TokenValidator validator;
    private final String audience;

    public CallerAuthentication(TokenValidator validator, LifespanConfig config) {
        this.validator = validator;
        this.audience = config.callerAuth().audience();
    }

    /** The authenticated caller's client id, or an UNAUTHENTICATED / PERMISSION_DENIED error. */
    public String authenticate(String authorization, String requiredScope) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw unauthenticated("a Lifespan service token is required (authorization: Bearer)");
        }
        ValidationResult result = validator.validate(authorization.substring(7).trim(), audience);
        if (!result.isValid()) {
            throw unauthenticated(result.failure().name() + ": " + result.detail());
        }
        if (!result.claims().hasScope(requiredScope)) {
            throw new ServiceException(ErrorKind.INSUFFICIENT_SCOPE, "scope " + requiredScope + " is required");
        }
        return Optional.ofNullable(result.claims().clientId()).orElse(result.claims().subject());
    }

    private static ServiceException unauthenticated(String why) {
        return new ServiceException(ErrorKind.INVALID_CLIENT, "caller not authenticated: " + why);
    }
}
