package dev.lifespan.issuer.feed;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.key.KeyRotation;
import dev.lifespan.issuer.key.SigningKeyRing;
import dev.lifespan.support.audit.AuditOutboxRelay;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.metrics.FeedGauges;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.RevocationCheck;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatingNode;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.VerificationKey;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.guard.FeedMetrics;
import dev.lifespan.validator.report.ValidationFailureReporter;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The issuer as a validating node, made with the validator library's {@link ValidatingNode}: keys straight from
 * this issuer's own ring (no JWKS fetch; compromised and expired keys are not published and so fail as
 * unknown) and the revocation feed on the revocation service's Redis channel, replaying from its
 * {@code Snapshot}/{@code Since}. It serves two checks with different stakes:
 * <ul>
 *   <li>{@link #validator()}, for RFC 7662 introspection: a resource server asks whether to accept a token,
 *       so it fails closed as soon as the feed is stale ({@code max-staleness}, 5 s);</li>
 *   <li>{@link #callerValidator()}, for the service tokens of privileged callers (logins, logouts, key
 *       rotation): it keeps answering from the rules held for {@code lifespan.caller-auth.feed-outage-tolerance}
 *       after the feed was last in step, because while the revocation service is down no rule can be recorded
 *       and logins and logouts must go on; beyond it the callers get UNAVAILABLE with a retry delay.</li>
 * </ul>
 * The feed starts after start-up and keeps trying until in step. Off when disabled or when no revocation
 * service is configured: then nothing is checked against rules ({@code RevocationCheck.NONE}).
 */
@Singleton
public class IssuerValidatingNode {
    /** How soon a caller refused for a stale feed may try again: the feed retries by itself every second. */
    private static final Duration FEED_RETRY = Duration.ofSeconds(1);
    private static final Logger LOG = Logger.getLogger(IssuerValidatingNode.class);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final ValidatingNode node;
    private final TokenValidator callerValidator;
    private final RevocationCheck heldRules;
    private final Duration callerTolerance;
    private final ValidationFailureReporter failures;
    private final String issuer;
    private final boolean feedOn;
    private final InstantSource clock;
    /** The revocation feed gauges ({@code lifespan_revocation_feed_*}), held here: the registry holds them weakly. */
    private final FeedGauges feedGauges;

    public IssuerValidatingNode(LifespanConfig config, RevocationChannel channel, SigningKeyRing keys, KeyRotation rotation,
            Instance<SessionRule.Listener> sessionRuleListeners, Vertx vertx, InstantSource clock, MeterRegistry registry,
            AuditOutboxRelay audit, @ConfigProperty(name = "quarkus.redis.hosts") String redisHosts) {
        this.clock = clock;
        LifespanConfig.Feed feed = config.revocation().feed();
        ValidatingNode.Builder builder = ValidatingNode.builder(config.issuer())
                .settings(new ValidatorSettings(config.issuer(), ValidatorSettings.ASYMMETRIC, config.clockSkew(), 8192, 100_000))
                .keys(kid -> keys.publishedKey(kid, Clocks.now(clock))
                        .map(k -> new VerificationKey(k.kid(), k.times().algorithm().joseName(), k.verifier())))
                .failureReporter(audit.failureReporter())
                .clock(clock);
        feedOn = feed.enabled() && channel.channel().isPresent();
        if (feedOn) {
            builder.revocationFeed(vertx, redisHosts.split(",")[0].trim(), feed.channel(), RevocationGrpc.newStub(channel.channel().get()))
                    .feedSettings(RevocationFeed.Settings.defaults().withMaxStaleness(feed.maxStaleness()).withFailOpen(feed.failOpen()))
                    .staleAlert((lastFresh, failingOpen) -> LOG.warnf("Revocation feed stale (last in step %s): introspection failing %s;"
                            + " privileged callers still checked against the rules held until %s after that", lastFresh,
                            failingOpen ? "OPEN" : "closed", config.callerAuth().feedOutageTolerance()))
                    .ruleListener(withRules(new FeedMetrics(registry), rotation, sessionRuleListeners.stream().toList()));
        } else if (feed.enabled()) {
            LOG.warn("No revocation service (lifespan.revocation.target): caller tokens and introspection see ended sessions"
                    + " and compromised keys only, not token, subject, client or global revocation rules");
        }
        this.node = builder.build();
        this.callerTolerance = config.callerAuth().feedOutageTolerance();
        this.callerValidator = node.validatorTolerating(callerTolerance);
        this.heldRules = node.feed().map(f -> f.tolerating(callerTolerance)).orElse(RevocationCheck.NONE);
        this.failures = audit.failureReporter();
        this.issuer = config.issuer();
        this.feedGauges = FeedGauges.register(registry, clock, () -> feedOn, node::feed);
    }

    /**
     * {@code metrics}; every KEY rule handed to {@link KeyRotation#keyRuleApplied}: this replica reloads its keys at
     * once after another replica's emergency rotation, and rotates away from a signing key revoked at the revocation
     * service, instead of signing tokens that every node rejects; and every SESSION, SUBJECT, CLIENT and GLOBAL rule to
     * the {@code sessionRules} listeners, which end the sessions it covers so that their refresh tokens are refused.
     */
    static RevocationFeed.RuleListener withRules(RevocationFeed.RuleListener metrics, KeyRotation rotation,
            List<SessionRule.Listener> sessionRules) {
        return (rule, appliedAt, fromSnapshot) -> {
            metrics.ruleApplied(rule, appliedAt, fromSnapshot);
            if (rule.getKind() == RuleKind.RULE_KIND_KEY) {
                rotation.keyRuleApplied(rule.getValue(), rule.getReason());
            }
            SessionRule.of(rule, appliedAt).ifPresent(ending -> sessionRules.forEach(listener -> listener.sessionRuleApplied(ending)));
        };
    }

    /** Introspection's validator: fails closed as soon as the feed is stale. The {@link TokenValidator} bean. */
    @Produces
    @Singleton
    public TokenValidator validator() {
        return node.validator();
    }

    /** The privileged callers' validator: tolerates a stale feed for the configured outage tolerance. */
    /**
     * The answer where a stale feed (beyond whatever the check tolerates) means a token's revocations cannot be known
     * now: UNAVAILABLE with a retry delay, a dependency's outage, never the token's fault.
     */
    public static ServiceException feedStale() {
        return ServiceException.unavailable("revocations cannot be checked now: the revocation feed has been unheard too long", FEED_RETRY);
    }

    public TokenValidator callerValidator() {
        return callerValidator;
    }

    /** The feed, when it is on. */
    public Optional<RevocationFeed> feed() {
        return node.feed();
    }

    /**
     * The rule held that covers an opaque token this issuer keeps (a single-use token), as a node would decide for an
     * access token with the same {@code jti}, {@code sub}, {@code client_id} and {@code iat} (its issue time in whole
     * seconds): a TOKEN rule naming its public id, or a SUBJECT, CLIENT or GLOBAL cut-off after its issue. A token a
     * rule covers is reported as a refused token (the {@code VALIDATION_FAILED} events of this node, with the reason and
     * the token's subject and client). With the feed unheard for longer than the outage tolerance,
     * REVOCATION_FEED_STALE, as for privileged callers.
     */
    public Optional<ValidationFailure> revocationOf(String tokenId, String subject, String clientId, Instant issuedAt) {
        Instant iat = Instant.ofEpochSecond(issuedAt.getEpochSecond());
        VerifiedClaims claims = new VerifiedClaims(issuer, subject, List.of(), null, iat, null, tokenId, null, clientId, List.of(), null,
                null, List.of(), List.of(), null);
        Optional<ValidationFailure> revoked = heldRules.check(claims, Clocks.now(clock));
        revoked.filter(reason -> reason != ValidationFailure.REVOCATION_FEED_STALE).ifPresent(reason -> failures.failed(reason, null, claims));
        return revoked;
    }

    /** Whether the feed is on. */
    public boolean feedConfigured() {
        return feedOn;
    }

    /** In step and fresh (false when the feed is off). */
    public boolean inStep() {
        return feedGauges.inStep();
    }

    /** Whether privileged callers are still checked against the rules held ({@link RevocationFeed#tolerates}). */
    public boolean toleratesCallers() {
        return node.feed().map(f -> f.tolerates(Clocks.now(clock), callerTolerance)).orElse(false);
    }

    /** How long since the feed was last in step; empty before the first snapshot or when off. */
    public Optional<Duration> unheardFor() {
        return node.feed().flatMap(RevocationFeed::lastFresh).map(fresh -> Duration.between(fresh, Clocks.now(clock)));
    }

    /**
     * The latest "issued before" cut-off of a SUBJECT, CLIENT or GLOBAL rule held for this subject and client, in
     * epoch milliseconds, or {@link Long#MIN_VALUE}: a token must not be minted with an {@code iat} before it.
     */
    public long latestCutoffMilli(String subject, String clientId) {
        return node.feed().map(f -> f.latestCutoffMilli(subject, clientId)).orElse(Long.MIN_VALUE);
    }

    void onStart(@Observes StartupEvent event) {
        if (feedOn) {
            node.start(RETRY).onSuccess(ignored -> LOG.infof("Revocation feed in step at sequence %d",
                    node.feed().map(RevocationFeed::sequence).orElse(0L)));
        }
    }

    @Scheduled(every = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void maintain() {
        node.maintain();
    }

    void onStop(@Observes ShutdownEvent event) {
        node.close();
    }
}
