package dev.lifespan.issuer.startup;

import dev.lifespan.issuer.config.ConfigurationCheck;import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.key.SigningKeyRotator;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.util.List;

/**
 * Start-up: refuse an unsafe configuration or a missing master key with a message naming the
 * setting, then make sure a signing key exists before the first request is served.
 */
@Singleton
public class IssuerStartup {
    private static final Logger LOG = Logger.getLogger(IssuerStartup.class);

    @Produces
    @Singleton
    MasterKey masterKey(LifespanConfig config) {
        // Every bean that can mint, hash or store tokens needs the master key, whichever is
        // created first (the gRPC server creates its services before start-up observers run):
        // checking here means nothing is served under an unsafe configuration.
        requireSafe(config);
        return MasterKey.parse(config.masterKey().orElse(null), ConfigurationCheck.MASTER_KEY_SETTING);
    }

    @Produces
    @Singleton
    TokenHasher tokenHasher(MasterKey masterKey) {
        return new TokenHasher(masterKey.tokenPepper());
    }

    static void requireSafe(LifespanConfig config) {
        List<String> problems = ConfigurationCheck.problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Unsafe Lifespan configuration, refusing to start:\n - " + String.join("\n - ", problems));
        }
    }

    void onStart(@Observes @Priority(1) StartupEvent event, LifespanConfig config, Instance<SigningKeyRotator> rotator)
            throws Throwable {
        requireSafe(config);
        // Only now are the beans that need a valid configuration (master key, signers) created.
        VertxContextSupport.subscribeAndAwait(rotator.get()::checkNow);
        LOG.infof("Lifespan issuer %s ready; keys signed with %s", config.issuer(), config.keys().algorithm());
    }
}
