package dev.lifespan.issuer.key;

import dev.lifespan.issuer.config.ConfigurationCheck;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.support.time.Clocks;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;

/**
 * Keeps a signing key available and rotates on schedule: every replica checks every
 * {@code lifespan.keys.check-interval}; the one that takes the database lock acts. A new key is
 * published {@code prepublish-lead} before it signs, so validating nodes have it in time.
 */
@Singleton
public class SigningKeyRotator {
    private static final Logger LOG = Logger.getLogger(SigningKeyRotator.class);

    private final SigningKeyStore store;
    private final SigningKeyRing ring;
    private final LifespanConfig config;
    private final InstantSource clock;

    public SigningKeyRotator(SigningKeyStore store, SigningKeyRing ring, LifespanConfig config, InstantSource clock) {
        this.store = store;
        this.ring = ring;
        this.config = config;
        this.clock = clock;
    }

    @Scheduled(every = "${lifespan.keys.check-interval}", delayed = "${lifespan.keys.check-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledCheck() {
        return checkNow().onFailure().invoke(e -> LOG.warnf("Signing key check failed: %s", e.getMessage()))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    @Scheduled(every = "${lifespan.keys.reload-interval}", delayed = "${lifespan.keys.reload-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> scheduledReload() {
        return ring.reload().onFailure().invoke(e -> LOG.warnf("Signing key reload failed: %s", e.getMessage()))
                .onFailure().recoverWithNull();
    }

    /**
     * Runs one rotation check now and reloads the ring. When the check had to make a key sign at once (first
     * start, or no usable key), it checks again, so the standby key is published straight away too.
     */
    public Uni<SigningKeyStore.Outcome> checkNow() {
        return checkOnce().chain(outcome -> outcome.created() != null && !outcome.created().activatesAt.isAfter(Clocks.now(clock))
                ? checkOnce().replaceWith(outcome) : Uni.createFrom().item(outcome));
    }

    private Uni<SigningKeyStore.Outcome> checkOnce() {
        return generated(defaultAlgorithm())
                .chain(key -> store.rotateIfDue(Clocks.now(clock), settings(), key))
                .invoke(outcome -> {
                    if (outcome.created() != null) {
                        LOG.infof("Signing key %s (%s) scheduled to sign from %s", outcome.created().kid, outcome.created().algorithm,
                                outcome.created().activatesAt);
                    }
                })
                .call(ring::reload);
    }

    /** Operator rotation, normal or emergency; see {@link SigningKeyStore#rotateNow}. */
    public Uni<SigningKeyStore.Outcome> rotateNow(boolean emergency, String kid, JwsAlgorithm algorithm, String reason) {
        return generated(algorithm == null ? defaultAlgorithm() : algorithm)
                .chain(key -> store.rotateNow(Clocks.now(clock), settings(), key, algorithm, emergency, kid, reason))
                .invoke(outcome -> {
                    if (outcome.compromised() != null) {
                        LOG.warnf("Signing key %s marked COMPROMISED (%s); %s signs from now", outcome.compromised().kid, reason,
                                outcome.created().kid);
                    }
                })
                // A new standby at once (after an emergency the old one now signs), then this replica's ring.
                .call(outcome -> emergency ? checkNow() : ring.reload());
    }

    private JwsAlgorithm defaultAlgorithm() {
        return JwsAlgorithm.fromJoseName(config.keys().algorithm()).orElseThrow();
    }

    /**
     * Generates a key on a worker thread (RSA generation takes long enough to stall an event
     * loop) and continues on the caller's Vert.x context.
     */
    private static Uni<JwsAlgorithm.GeneratedKey> generated(JwsAlgorithm algorithm) {
        Context context = Vertx.currentContext();
        Uni<JwsAlgorithm.GeneratedKey> key = Uni.createFrom().item(algorithm::generate)
                .runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
        return context == null ? key : key.emitOn(task -> context.runOnContext(ignored -> task.run()));
    }

    SigningKeyStore.RotationSettings settings() {
        Duration longestToken = config.profiles().values().stream().map(LifespanConfig.Profile::accessTtl)
                .max(Duration::compareTo).orElse(ConfigurationCheck.MAX_ACCESS_TTL);
        if (longestToken.compareTo(ConfigurationCheck.MAX_SERVICE_TTL) < 0) {
            longestToken = ConfigurationCheck.MAX_SERVICE_TTL;
        }
        // Retired keys stay published until every token they signed has expired, with the
        // largest skew any validating node may allow.
        Duration retention = longestToken.plus(ConfigurationCheck.MAX_CLOCK_SKEW);
        return new SigningKeyStore.RotationSettings(config.keys().rotationInterval(), config.keys().prepublishLead(), retention);
    }
}
