package dev.lifespan.validator;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.validator.feed.RevocationFeedClient;
import dev.lifespan.validator.report.ValidationFailureReporter;
import dev.lifespan.validator.report.ValidationFailureTally;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;

/**
 * One validating node, wired the one way every Lifespan service and embedding application makes it: the
 * issuer's keys (a {@link JwksCache} refetching unknown kids within about a second, or a {@link KeySource}
 * of the caller's own), the revocation feed client on the revocation service's Redis channel with its
 * staleness policy, listeners for metrics, and the {@link TokenValidator}s on top.
 *
 * <pre>{@code
 * ValidatingNode node = ValidatingNode.builder("https://id.example.com")
 *         .jwks(() -> httpGet("https://id.example.com/.well-known/jwks.json"), worker)   // refetches off the caller's thread
 *         .revocationFeed(vertx, "redis://redis:6379", "lifespan:revocations", RevocationGrpc.newStub(channel))
 *         .ruleListener(new FeedMetrics(meterRegistry))                                      // propagation lag histogram
 *         .failureReporter(tally)                                                            // VALIDATION_FAILED counts
 *         .build();
 * node.start(Duration.ofSeconds(1));       // subscribes and loads the snapshot, retrying until in step
 * node.validator().validate(token, "orders-api");
 * }</pre>
 *
 * <p>When the feed brings a KEY rule (a compromised key), the node refetches the JWKS at once: the key set
 * changed, and the issuer now signs with a key the node may not have seen.
 */
public final class ValidatingNode implements AutoCloseable {
    /** Unknown kids refetch the JWKS at most this often, so a new key is usable at every node within about a second. */
    public static final Duration JWKS_REFETCH_INTERVAL = Duration.ofSeconds(1);

    private final TokenValidator validator;
    private final ValidatorSettings settings;
    private final KeySource keys;
    private final JwksCache jwks;
    private final RevocationFeedClient feedClient;
    private final InstantSource clock;
    private final ValidationFailureReporter failures;
    private final Vertx vertx;
    private volatile boolean closed;

    private ValidatingNode(Builder b) {
        this.vertx = b.vertx;
        this.settings = b.settings != null ? b.settings : ValidatorSettings.defaults(b.issuer);
        this.clock = b.clock;
        this.jwks = b.jwksFetch == null ? null : new JwksCache(b.jwksFetch, JWKS_REFETCH_INTERVAL, clock, b.refetchExecutor);
        this.keys = jwks != null ? jwks : Objects.requireNonNull(b.keys, "keys or jwks is required");
        List<RevocationFeed.RuleListener> listeners = new ArrayList<>(b.listeners);
        if (jwks != null) {
            listeners.add(this::onRule);
        }
        RevocationFeed.RuleListener listener = (rule, at, fromSnapshot) -> {
            for (RevocationFeed.RuleListener l : listeners) {
                l.ruleApplied(rule, at, fromSnapshot);
            }
        };
        this.feedClient = b.vertx == null ? null : new RevocationFeedClient(b.vertx, b.redisUrl, b.channel, b.revocation,
                b.feedSettings, b.staleAlert, listener, clock);
        this.failures = b.failures;
        this.validator = new TokenValidator(settings, keys, feedClient == null ? RevocationCheck.NONE : feedClient.feed(), clock, failures);
    }

    private void onRule(RevocationRule rule, Instant appliedAt, boolean fromSnapshot) {
        if (!fromSnapshot && rule.getKind() == RuleKind.RULE_KIND_KEY) {
            jwks.refreshSoon();
        }
    }

    public static Builder builder(String issuer) {
        return new Builder(issuer);
    }

    /** The validator every resource request goes through: fails closed when the feed is stale (unless configured to fail open). */
    public TokenValidator validator() {
        return validator;
    }

    /**
     * A validator that keeps answering from the rules held while the feed has been unheard for at most
     * {@code tolerance} (see {@link RevocationFeed#tolerating}); strict without a feed. Each call makes a new
     * one (with its own verified-token cache): keep it.
     */
    public TokenValidator validatorTolerating(Duration tolerance) {
        return new TokenValidator(settings, keys, feedClient == null ? RevocationCheck.NONE : feedClient.feed().tolerating(tolerance),
                clock, failures);
    }

    /** The revocation feed, when the node has one. */
    public Optional<RevocationFeed> feed() {
        return feedClient == null ? Optional.empty() : Optional.of(feedClient.feed());
    }

    /** The JWKS cache, when the node fetches the issuer's JWKS. */
    public Optional<JwksCache> jwks() {
        return Optional.ofNullable(jwks);
    }

    /**
     * Starts the node: asks for the JWKS in the background and starts the feed, retrying every {@code retry}
     * until it is in step. Completes when the feed is in step (at once without a feed). Until then
     * {@link #validator()} fails closed with {@code REVOCATION_FEED_STALE}.
     */
    public Future<Void> start(Duration retry) {
        if (jwks != null) {
            jwks.refreshSoon();
            if (vertx != null) {
                // Until the issuer has answered once (it may start after this node), ask for its keys every retry, so the
                // first caller token is not the one that finds the cache empty.
                vertx.setPeriodic(retry.toMillis(), timer -> {
                    if (closed || jwks.size() > 0) {
                        vertx.cancelTimer(timer);
                    } else {
                        jwks.refreshSoon();
                    }
                });
            }
        }
        return feedClient == null ? Future.succeededFuture() : feedClient.startRetrying(retry);
    }

    /** Drops rules nothing they cover can still be valid; call every 30–60 s. */
    public void maintain() {
        if (feedClient != null) {
            feedClient.maintain();
        }
    }

    /**
     * Whether the node can answer: it holds the issuer's keys ({@link #holdsKeys()}) and is in step with a fresh feed (or has
     * no feed).
     */
    public boolean isReady(Instant now) {
        return holdsKeys() && (feedClient == null || feedClient.feed().isReady(now));
    }

    /**
     * False while a node that fetches the issuer's JWKS has never fetched it (the issuer has not answered yet): every
     * token would fail {@code UNKNOWN_KID}, which is the node's outage, not the caller's bad token. Services answer
     * UNAVAILABLE meanwhile; {@link #start} keeps asking every retry until the issuer answers.
     */
    public boolean holdsKeys() {
        return jwks == null || jwks.size() > 0;
    }

    @Override
    public void close() {
        closed = true;
        if (feedClient != null) {
            feedClient.close();
        }
    }

    /** What a node is made of; {@link #build()} checks it. */
    public static final class Builder {
        private final String issuer;
        private ValidatorSettings settings;
        private KeySource keys;
        private Callable<String> jwksFetch;
        private Executor refetchExecutor;
        private Vertx vertx;
        private String redisUrl;
        private String channel;
        private RevocationGrpc.RevocationStub revocation;
        private RevocationFeed.Settings feedSettings = RevocationFeed.Settings.defaults();
        private RevocationFeed.StaleFeedAlert staleAlert = (lastFresh, failingOpen) -> { };
        private final List<RevocationFeed.RuleListener> listeners = new ArrayList<>();
        private InstantSource clock = InstantSource.system();
        private ValidationFailureReporter failures = ValidationFailureReporter.NONE;

        private Builder(String issuer) {
            this.issuer = Objects.requireNonNull(issuer, "issuer");
        }

        /** What tokens must look like; default {@link ValidatorSettings#defaults(String)} for the issuer. */
        public Builder settings(ValidatorSettings settings) {
            this.settings = settings;
            return this;
        }

        /** The issuer's keys from a source of the caller's own (an issuer checking its own tokens). */
        public Builder keys(KeySource keys) {
            this.keys = keys;
            return this;
        }

        /**
         * The issuer's keys from its JWK Set: {@code fetch} returns the JSON (an HTTP GET of {@code /.well-known/jwks.json});
         * refetches for unknown kids and key-set changes run on {@code refetchExecutor} (null: on the calling thread, for
         * blocking callers only).
         */
        public Builder jwks(Callable<String> fetch, Executor refetchExecutor) {
            this.jwksFetch = fetch;
            this.refetchExecutor = refetchExecutor;
            return this;
        }

        /** The revocation feed: the service's Redis channel and a {@code Revocation} stub for {@code Snapshot}/{@code Since}. */
        public Builder revocationFeed(Vertx vertx, String redisUrl, String channel, RevocationGrpc.RevocationStub revocation) {
            this.vertx = Objects.requireNonNull(vertx, "vertx");
            this.redisUrl = Objects.requireNonNull(redisUrl, "redisUrl");
            this.channel = Objects.requireNonNull(channel, "channel");
            this.revocation = Objects.requireNonNull(revocation, "revocation");
            return this;
        }

        /** Staleness, fail-open, buffering; default {@link RevocationFeed.Settings#defaults()} (5 s, fail closed). */
        public Builder feedSettings(RevocationFeed.Settings feedSettings) {
            this.feedSettings = feedSettings;
            return this;
        }

        /** Told once per stale period; log or alert there. */
        public Builder staleAlert(RevocationFeed.StaleFeedAlert staleAlert) {
            this.staleAlert = staleAlert;
            return this;
        }

        /**
         * Told of every token the node's validators refuse, for {@code VALIDATION_FAILED} audit events: usually a
         * {@link ValidationFailureTally} drained every few seconds into the service's audit outbox.
         */
        public Builder failureReporter(ValidationFailureReporter failures) {
            this.failures = Objects.requireNonNull(failures, "failures");
            return this;
        }

        /** Told of every rule applied (for example {@code FeedMetrics}); may be called more than once. */
        public Builder ruleListener(RevocationFeed.RuleListener listener) {
            this.listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** The clock every time rule reads; default the system clock. */
        public Builder clock(InstantSource clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public ValidatingNode build() {
            if ((keys == null) == (jwksFetch == null)) {
                throw new IllegalStateException("give the node exactly one of keys(...) or jwks(...)");
            }
            return new ValidatingNode(this);
        }
    }
}
