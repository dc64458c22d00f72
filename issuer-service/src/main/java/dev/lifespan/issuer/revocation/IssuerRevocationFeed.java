package dev.lifespan.issuer.revocation;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.feed.RevocationFeedClient;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The issuer as a validating node: the validator library's revocation feed on the revocation
 * service's Redis channel, replaying from its {@code Snapshot}/{@code Since}. It starts after
 * start-up and keeps trying until in step; until then, and whenever it goes unheard past
 * {@code max-staleness}, checks through it fail closed (or open, as configured) and readiness is down.
 * Off when disabled or when no revocation service is configured.
 */
@Singleton
public class IssuerRevocationFeed {
    private static final Logger LOG = Logger.getLogger(IssuerRevocationFeed.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final RevocationFeedClient client;

    public IssuerRevocationFeed(LifespanConfig config, RevocationChannel channel, Vertx vertx,
            @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        LifespanConfig.Feed feed = config.revocation().feed();
        if (!feed.enabled() || channel.channel().isEmpty()) {
            client = null;
            if (feed.enabled()) {
                LOG.warn("No revocation service (lifespan.revocation.target): caller tokens and introspection see ended sessions"
                        + " and compromised keys only, not token, subject, client or global revocation rules");
            }
            return;
        }
        RevocationFeed.Settings settings = RevocationFeed.Settings.defaults().withMaxStaleness(feed.maxStaleness())
                .withFailOpen(feed.failOpen());
        client = new RevocationFeedClient(vertx, redisHosts.split(",")[0].trim(), feed.channel(),
                RevocationGrpc.newStub(channel.channel().get()), settings,
                (lastFresh, failingOpen) -> LOG.warnf("Revocation feed stale (last fresh %s): caller tokens and introspection failing %s",
                        lastFresh, failingOpen ? "OPEN" : "closed"),
                InstantSource.system());
    }

    /** What the issuer's validator checks rules with: the feed, or nothing when it is off. */
    public RevocationCheck revocationCheck() {
        return client == null ? RevocationCheck.NONE : client.feed();
    }

    /** The feed, when it is on. */
    public Optional<RevocationFeed> feed() {
        return client == null ? Optional.empty() : Optional.of(client.feed());
    }

    /** Up when the feed is off, or in step and fresh. */
    public boolean isReady(Instant now) {
        return client == null || client.feed().isReady(now);
    }

    void onStart(@Observes StartupEvent event) {
        if (client != null) {
            client.startRetrying(RETRY).onSuccess(ignored -> LOG.infof("Revocation feed in step at sequence %d",
                    client.feed().sequence()));
        }
    }

    @Scheduled(every = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void maintain() {
        if (client != null) {
            client.maintain();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (client != null) {
            client.close();
        }
    }
}
