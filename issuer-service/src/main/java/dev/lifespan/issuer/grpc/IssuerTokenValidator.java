package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.VerificationKey;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.InstantSource;

/**
 * The validator library as the issuer uses it (caller tokens, introspection): keys come straight
 * from this issuer's own ring, so no JWKS fetch; compromised and expired keys are not published and
 * so fail as unknown. Session revocation is checked by the callers against the session table until
 * the issuer subscribes to the revocation feed.
 */
@Singleton
public class IssuerTokenValidator {

    @Produces
    @Singleton
    TokenValidator tokenValidator(SigningKeyRing keys, InstantSource clock, LifespanConfig config) {
        ValidatorSettings settings = new ValidatorSettings(config.issuer(), ValidatorSettings.ASYMMETRIC, config.clockSkew(), 8192,
                100_000);
        return new TokenValidator(settings,
                kid -> keys.publishedKey(kid, Clocks.now(clock))
                        .map(k -> new VerificationKey(k.kid(), k.times().algorithm().joseName(), k.verifier())),
                RevocationCheck.NONE, clock);
    }
}
