package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.issuer.revocation.IssuerRevocationFeed;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.VerificationKey;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.InstantSource;

/**
 * The validator library as the issuer uses it (caller tokens, introspection): keys come straight
 * from this issuer's own ring, so no JWKS fetch; compromised and expired keys are not published and
 * so fail as unknown. Revocation rules come from the issuer's own revocation feed
 * ({@link IssuerRevocationFeed}), as on every validating node.
 */
@Singleton
public class IssuerTokenValidator {

    @Produces
    @Singleton
    TokenValidator tokenValidator(SigningKeyRing keys, InstantSource clock, LifespanConfig config, IssuerRevocationFeed feed) {
        ValidatorSettings settings = new ValidatorSettings(config.issuer(), ValidatorSettings.ASYMMETRIC, config.clockSkew(), 8192,
                100_000);
        return new TokenValidator(settings,
                kid -> keys.publishedKey(kid, Clocks.now(clock))
                        .map(k -> new VerificationKey(k.kid(), k.times().algorithm().joseName(), k.verifier())),
                feed.revocationCheck(), clock);
    }
}
