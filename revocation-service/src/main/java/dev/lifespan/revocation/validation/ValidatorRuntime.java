package dev.lifespan.revocation.validation;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.support.audit.AuditOutboxRelay;
import dev.lifespan.support.metrics.FeedGauges;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatingNode;
import dev.lifespan.validator.guard.FeedMetrics;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The validating node this service runs for {@code lifespan.v1.TokenValidation} and for its own callers, made
 * with the validator library's {@link ValidatingNode}: the issuer's JWKS (unknown kids and KEY rules refetch it
 * within about a second), a revocation feed on this service's own Redis channel replaying from this service
 * itself over gRPC ({@link OwnEndpoint}: plaintext, or TLS when the plaintext port is off), and propagation-lag
 * metrics. Built once the HTTP port is known (random in tests), after
 * start-up, without holding start-up up; the feed retries every second until in step. Nothing starts when
 * validation is not configured.
 */
@Singleton
public class ValidatorRuntime {
    private static final Logger LOG = Logger.getLogger(ValidatorRuntime.class);
    private static final Duration RETRY = Duration.ofSeconds(1);
    private static final Duration JWKS_TIMEOUT = Duration.ofSeconds(5);

    private final RevocationConfig config;
    private final Vertx vertx;
    private final MeterRegistry registry;
    private final InstantSource clock;
    /** The revocation feed gauges ({@code lifespan_revocation_feed_*}), held here: the registry holds them weakly. */
    private final FeedGauges feedGauges;
    private final AuditOutboxRelay audit;
    private volatile boolean stopped;
    private volatile ValidatingNode node;
    private volatile ManagedChannel channel;
    private volatile TokenValidator validator;
    private volatile TokenValidator callerValidator;

    public ValidatorRuntime(RevocationConfig config, Vertx vertx, MeterRegistry registry, InstantSource clock, AuditOutboxRelay audit) {
        this.config = config;
        this.audit = audit;
        this.vertx = vertx;
        this.registry = registry;
        this.clock = clock;
        this.feedGauges = FeedGauges.register(registry, clock, this::configured, this::feed);
    }

    /** True when the issuer and JWKS URL are set. */
    public boolean configured() {
        return config.validation().configured();
    }

    /** The validator, once the feed has been in step; empty before. */
    public Optional<TokenValidator> validator() {
        return Optional.ofNullable(validator);
    }

    /**
     * The validator for the write RPCs' callers, once in step: it keeps checking against the rules held for
     * {@code caller-auth.feed-outage-tolerance} after the feed was last in step, where {@link #validator} (for nodes'
     * {@code Validate}) fails closed at once.
     */
    public Optional<TokenValidator> callerValidator() {
        return Optional.ofNullable(callerValidator);
    }

    /** False while the node has never fetched the issuer's keys (see {@link ValidatingNode#holdsKeys()}). */
    public boolean holdsKeys() {
        ValidatingNode current = node;
        return current != null && current.holdsKeys();
    }

    /** The revocation feed, once the validator is there; empty before. */
    public Optional<RevocationFeed> feed() {
        ValidatingNode current = validator == null ? null : node;
        return current == null ? Optional.empty() : current.feed();
    }

    void onStart(@Observes StartupEvent event) {
        if (!configured()) {
            LOG.info("Token validation is not configured (lifespan.revocation.validation.issuer and jwks-url); TokenValidation answers FAILED_PRECONDITION");
            return;
        }
        vertx.runOnContext(ignored -> attempt());
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        ValidatingNode current = node;
        if (current != null) {
            current.close();
        }
        ManagedChannel open = channel;
        if (open != null) {
            open.shutdownNow();
        }
    }

    @Scheduled(every = "${lifespan.revocation.validation.jwks-refresh:5m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refreshJwks() {
        ValidatingNode current = node;
        if (current != null) {
            current.jwks().ifPresent(keys -> keys.refresh());
        }
    }

    @Scheduled(every = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void maintainFeed() {
        ValidatingNode current = node;
        if (current != null) {
            current.maintain();
        }
    }

    /** Waits for this service's own port (the feed replays from it), then builds and starts the node. */
    private void attempt() {
        if (stopped) {
            return;
        }
        Optional<ManagedChannel> own = OwnEndpoint.open();
        if (own.isEmpty()) {
            vertx.setTimer(RETRY.toMillis(), id -> attempt());
            return;
        }
        RevocationConfig.Validation settings = config.validation();
        String jwksUrl = settings.jwksUrl().orElseThrow();
        channel = own.get();
        SSLContext issuerTls = settings.tls().client().sslContext().orElse(null);
        ValidatingNode built = ValidatingNode.builder(settings.issuer().orElseThrow())
                // Refetches run on a worker thread: caller tokens are checked on the event loop.
                .jwks(JwksCache.overHttp(jwksUrl, JWKS_TIMEOUT, issuerTls), task -> vertx.executeBlocking(() -> {
                    task.run();
                    return null;
                }, false))
                .revocationFeed(vertx, redisUrl(), config.channel(), RevocationGrpc.newStub(channel))
                .feedSettings(RevocationFeed.Settings.defaults().withMaxStaleness(settings.maxStaleness()))
                .staleAlert((lastFresh, failingOpen) -> LOG.warnf("Revocation feed stale (last in step %s); token validation answers"
                        + " UNAVAILABLE until it is back; the write RPCs' callers are still checked against the rules held until %s"
                        + " after that", lastFresh, config.callerAuth().feedOutageTolerance()))
                .ruleListener(new FeedMetrics(registry))
                .failureReporter(audit.failureReporter())
                .clock(clock)
                .build();
        node = built;
        LOG.infof("Token validation starting: issuer %s, JWKS %s; waiting for the revocation feed to be in step", settings.issuer().get(),
                jwksUrl);
        built.start(RETRY).onSuccess(ignored -> {
            callerValidator = built.validatorTolerating(config.callerAuth().feedOutageTolerance());
            validator = built.validator();
            LOG.info("Token validation started: revocation feed in step");
        });
    }

    private static String redisUrl() {
        String hosts = ConfigProvider.getConfig().getValue("quarkus.redis.hosts", String.class);
        return hosts.split(",")[0].trim();
    }
}
