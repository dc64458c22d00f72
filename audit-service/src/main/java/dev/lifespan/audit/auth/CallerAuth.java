package dev.lifespan.audit.auth;

import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.revocation.RevocationChannel;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.GrpcErrors;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.metrics.FeedGauges;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.ValidatingNode;
import dev.lifespan.validator.guard.BearerAuthenticator;
import dev.lifespan.validator.guard.BearerTokenFilter;
import dev.lifespan.validator.guard.BearerTokenInterceptor;
import dev.lifespan.validator.guard.Authentication;
import dev.lifespan.validator.guard.FeedMetrics;
import dev.lifespan.validator.guard.OutcomeCounter;
import dev.lifespan.validator.guard.ValidationMetrics;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may call the audit service (CONTRACT section 11), all in this one class: a Lifespan service token for
 * {@code caller-auth.audience}, checked by the validator library like on every validating node (signature against the
 * issuer's JWKS, claims, and the revocation feed, so a revoked caller is refused), with scope {@value #WRITE} for
 * {@code Record} and {@value #READ} for everything else, except checkpoints and the public key, which are public by
 * default. {@link GrpcGuard} applies it to gRPC, {@link HttpGuard} to REST.
 *
 * <p>The validator is built after start-up and retried every second until its JWKS is fetched and its revocation feed
 * (this service's Redis, replaying from the revocation service) is in step; until then, and whenever the feed falls
 * behind, guarded calls get UNAVAILABLE / 503 with a retry delay: the caller's token may be fine, this service just
 * cannot tell yet. Readiness follows.
 */
@Singleton
public class CallerAuth {
    public static final String READ = "audit:read";
    public static final String WRITE = "audit:write";
    private static final Logger LOG = Logger.getLogger(CallerAuth.class);
    private static final long RETRY_MS = 1_000;
    private static final Duration JWKS_TIMEOUT = Duration.ofSeconds(5);
    /** The console's paths: their requests carry a cookie, not an {@code Authorization} header. */
    static final String CONSOLE = "/console";
    public static final String NOT_READY = "caller authentication starting: the issuer's keys not fetched yet, or the revocation feed not in step";

    private final AuditConfig.CallerAuth settings;
    private final RevocationChannel revocation;
    private final Vertx vertx;
    private final InstantSource clock;
    /** The revocation feed gauges ({@code lifespan_revocation_feed_*}), held here: the registry holds them weakly. */
    private final FeedGauges feedGauges;
    private final OutcomeCounter outcomes;
    /** Revocation propagation lag as this node sees it ({@code lifespan_revocation_propagation_seconds}), like every node. */
    private final FeedMetrics feedMetrics;
    private final Map<String, String> requiredScopes;
    private final Set<String> openMethods;
    private final Set<String> openPaths;
    private volatile boolean stopped;
    private volatile ValidatingNode node;
    private volatile Guards guards;

    /** The library guards over the validator, built once it is in step. */
    private record Guards(BearerAuthenticator authenticator, BearerTokenInterceptor grpc, BearerTokenFilter http) {
    }

    public CallerAuth(AuditConfig config, RevocationChannel revocation, Vertx vertx, MeterRegistry registry, InstantSource clock) {
        this.settings = config.callerAuth();
        this.clock = clock;
        this.revocation = revocation;
        this.vertx = vertx;
        this.outcomes = settings.enabled() ? new ValidationMetrics(registry) : OutcomeCounter.NONE;
        this.feedMetrics = new FeedMetrics(registry);
        this.feedGauges = FeedGauges.register(registry, clock, settings::enabled, this::feed);
        String checkpoints = AuditGrpc.getListCheckpointsMethod().getFullMethodName();
        this.openMethods = settings.publicCheckpoints() ? Set.of(checkpoints) : Set.of();
        this.openPaths = settings.publicCheckpoints() ? Set.of("/audit/checkpoints", "/audit/public-key") : Set.of();
        this.requiredScopes = settings.publicCheckpoints()
                ? Map.of(AuditGrpc.getRecordMethod().getFullMethodName(), WRITE,
                        AuditGrpc.getQueryMethod().getFullMethodName(), READ,
                        AuditGrpc.getVerifyChainMethod().getFullMethodName(), READ,
                        AuditGrpc.getWatchAlertsMethod().getFullMethodName(), READ)
                : Map.of(AuditGrpc.getRecordMethod().getFullMethodName(), WRITE,
                        AuditGrpc.getQueryMethod().getFullMethodName(), READ,
                        AuditGrpc.getVerifyChainMethod().getFullMethodName(), READ,
                        AuditGrpc.getWatchAlertsMethod().getFullMethodName(), READ,
                        checkpoints, READ);
    }

    /** True when callers must present a token. */
    public boolean enabled() {
        return settings.enabled();
    }

    /**
     * True once guarded calls can be decided (always, when caller authentication is off): the issuer's keys fetched and the
     * revocation feed in step once. After that a feed outage does not take this back: callers are checked against the
     * rules held for {@code feed-outage-tolerance}, and only then refused UNAVAILABLE ({@code REVOCATION_FEED_STALE}), call
     * by call. Every replica shares the feed, so readiness that followed it would take them all out together.
     */
    public boolean ready() {
        if (!settings.enabled()) {
            return true;
        }
        ValidatingNode current = node;
        return guards != null && current != null && current.holdsKeys();
    }

    /** The revocation feed's state, for readiness detail: in step, riding out an outage, or beyond the tolerance. */
    public String feedState() {
        ValidatingNode current = node;
        if (!settings.enabled()) {
            return "off";
        }
        if (current == null || current.feed().isEmpty()) {
            return NOT_READY;
        }
        Instant now = clock.instant();
        Optional<Instant> fresh = current.feed().get().lastFresh();
        if (fresh.isEmpty()) {
            return NOT_READY;
        }
        if (current.isReady(now)) {
            return "in step";
        }
        return current.feed().get().tolerates(now, settings.feedOutageTolerance())
                ? "revocation feed unheard since " + fresh.get() + "; callers checked against the rules held until "
                        + fresh.get().plus(settings.feedOutageTolerance())
                : "revocation feed unheard since " + fresh.get() + ", beyond the outage tolerance: calls refused UNAVAILABLE";
    }

    /**
     * The decision the guards make, for a token that did not come in an {@code Authorization} header (the console's
     * cookie): valid for {@code caller-auth.audience}, not revoked, carrying {@code requiredScope} (null: any). Empty
     * while the validator is not in step (the caller answers UNAVAILABLE).
     */
    public Optional<Authentication> authenticate(String token, String requiredScope) {
        Guards current = guards;
        if (!settings.enabled() || current == null || !ready()) {
            return Optional.empty();
        }
        return Optional.of(current.authenticator().authenticate("Bearer " + token, settings.audience(), requiredScope));
    }

    /** This service's own validating node's revocation feed, once started. */
    public Optional<RevocationFeed> feed() {
        ValidatingNode current = node;
        return current == null ? Optional.empty() : current.feed();
    }

    void onStart(@Observes StartupEvent event) {
        if (!settings.enabled()) {
            LOG.warn("Caller authentication is disabled (lifespan.audit.caller-auth.enabled=false): anyone who reaches this service"
                    + " can record and read audit events");
            return;
        }
        vertx.runOnContext(ignored -> start());
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        ValidatingNode current = node;
        if (current != null) {
            current.close();
        }
    }

    @Scheduled(every = "${lifespan.audit.caller-auth.jwks-refresh:5m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refreshJwks() {
        ValidatingNode current = node;
        if (current != null) {
            current.jwks().ifPresent(JwksCache::refresh);
        }
    }

    @Scheduled(every = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void maintainFeed() {
        ValidatingNode current = node;
        if (current != null && guards != null) {
            current.maintain();
        }
    }

    /**
     * Builds the node and starts it: the JWKS is asked for every second until the issuer answers (it may start after
     * this service), the feed retries by itself until in step; then the guards are made.
     */
    private void start() {
        SSLContext issuerTls = settings.tls().client().sslContext().orElse(null);
        ValidatingNode built = ValidatingNode.builder(settings.issuer().orElseThrow())
                // Refetches for unknown kids run on a worker thread: caller tokens are checked on the event loop.
                .jwks(JwksCache.overHttp(settings.jwksUrl().orElseThrow(), JWKS_TIMEOUT, issuerTls), task -> vertx.executeBlocking(() -> {
                    task.run();
                    return null;
                }, false))
                .revocationFeed(vertx, redisUrl(), settings.revocationChannel(), RevocationGrpc.newStub(revocation.channel().orElseThrow()))
                .feedSettings(RevocationFeed.Settings.defaults().withMaxStaleness(settings.maxStaleness()))
                .staleAlert((lastFresh, failingOpen) -> LOG.warnf("Revocation feed stale (last fresh %s); caller checks failing %s", lastFresh,
                        failingOpen ? "open" : "closed"))
                .ruleListener(feedMetrics)
                .clock(clock)
                .build();
        node = built;
        built.start(Duration.ofMillis(RETRY_MS)).onSuccess(ignored -> {
            BearerAuthenticator authenticator = new BearerAuthenticator(built.validatorTolerating(settings.feedOutageTolerance()), outcomes);
            guards = new Guards(authenticator, new BearerTokenInterceptor(authenticator, settings.audience(), requiredScopes, openMethods),
                    new BearerTokenFilter(authenticator, settings.audience(), READ, openPaths));
            LOG.info("Caller authentication started: revocation feed in step");
        });
    }

    private String redisUrl() {
        return settings.revocationRedisUrl().filter(u -> !u.isBlank())
                .orElseGet(() -> ConfigProvider.getConfig().getValue("quarkus.redis.hosts", String.class).split(",")[0].trim());
    }

    /** gRPC: the scope each Audit RPC needs, checked before the call reaches the endpoint. */
    @Singleton
    public static class GrpcGuard implements ServerInterceptor {
        private final CallerAuth auth;

        public GrpcGuard(CallerAuth auth) {
            this.auth = auth;
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            if (!auth.enabled() || auth.openMethods.contains(call.getMethodDescriptor().getFullMethodName())) {
                return next.startCall(call, headers);
            }
            Guards guards = auth.guards;
            if (guards == null || !auth.ready()) {
                StatusRuntimeException status = GrpcErrors.toStatus(new NotReady());
                call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
                return new ServerCall.Listener<>() { };
            }
            return guards.grpc().interceptCall(call, headers, next);
        }
    }

    /** REST: {@value #READ} on every {@code /audit} resource but the public checkpoint paths. */
    @Provider
    @Priority(Priorities.AUTHENTICATION)
    public static class HttpGuard implements ContainerRequestFilter {
        private final Instance<CallerAuth> auth;

        @Inject
        public HttpGuard(Instance<CallerAuth> auth) {
            this.auth = auth;
        }

        @Override
        public void filter(ContainerRequestContext request) {
            CallerAuth callerAuth = auth.get();
            if (!callerAuth.enabled()) {
                return;
            }
            String path = request.getUriInfo().getPath();
            // A dot segment never counts as the console: /console/../audit/events must not escape the token check.
            if ((path.equals(CONSOLE) || path.startsWith(CONSOLE + "/")) && !path.contains("/.")) {
                return; // the console signs operators in itself (ConsoleAuth), with the token from its cookie, on this same validator
            }
            Guards guards = callerAuth.guards;
            if (guards == null || !callerAuth.ready()) {
                if (callerAuth.openPaths.stream().anyMatch(open -> path.equals(open) || path.startsWith(open + "/"))) {
                    return;
                }
                request.abortWith(Response.status(503).header("Retry-After", 1).header("Cache-Control", "no-store")
                        .type(MediaType.APPLICATION_JSON_TYPE)
                        .entity("{\"error\":\"temporarily_unavailable\",\"error_description\":\"" + NOT_READY + "\"}").build());
                return;
            }
            guards.http().filter(request);
        }
    }

    /** The validator cannot be trusted yet: a dependency (JWKS or the revocation feed) is not in step. */
    private static final class NotReady extends ServiceException {
        NotReady() {
            super(ErrorKind.UNAVAILABLE, NOT_READY, null, Duration.ofSeconds(1), null);
        }
    }
}
