package dev.lifespan.revocation.validation;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.validator.JwksCache;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatorSettings;
import dev.lifespan.validator.feed.RevocationFeedClient;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logging.Logger;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

/**
 * The validator this service runs for {@code lifespan.v1.TokenValidation}: the issuer's JWKS, a
 * revocation feed on this service's own Redis channel replaying from this service itself over gRPC,
 * and the library's {@link TokenValidator}. Built after start-up, asynchronously, retrying every
 * second until the feed is in step; start-up itself never waits for it. Nothing starts when
 * validation is not configured.
 */
@Singleton
public class ValidatorRuntime {
    private static final Logger LOG = Logger.getLogger(ValidatorRuntime.class);
    private static final long RETRY_MS = 1_000;
    private static final Duration JWKS_TIMEOUT = Duration.ofSeconds(5);

    private final RevocationConfig config;
    private final Vertx vertx;
    private final InstantSource clock = InstantSource.system();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(JWKS_TIMEOUT).build();
    private volatile boolean stopped;
    private volatile JwksCache jwks;
    private volatile RevocationFeedClient feedClient;
    private volatile ManagedChannel channel;
    private volatile TokenValidator validator;

    public ValidatorRuntime(RevocationConfig config, Vertx vertx) {
        this.config = config;
        this.vertx = vertx;
    }

    /** True when the issuer and JWKS URL are set. */
    public boolean configured() {
        return config.validation().configured();
    }

    /** The validator, once the feed has been started; empty before. */
    public Optional<TokenValidator> validator() {
        return Optional.ofNullable(validator);
    }

    /** The revocation feed, once started; empty before. */
    public Optional<RevocationFeed> feed() {
        RevocationFeedClient client = validator == null ? null : feedClient;
        return client == null ? Optional.empty() : Optional.of(client.feed());
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
        closeFeed();
    }

    @Scheduled(every = "${lifespan.revocation.validation.jwks-refresh:5m}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void refreshJwks() {
        JwksCache keys = jwks;
        if (keys != null) {
            keys.refresh();
        }
    }

    @Scheduled(every = "1m", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void maintainFeed() {
        RevocationFeedClient client = feedClient;
        if (client != null && validator != null) {
            client.maintain();
        }
    }

    /** Fetches the JWKS (retrying every second), then starts the feed, which retries by itself until in step. */
    private void attempt() {
        if (stopped) {
            return;
        }
        RevocationConfig.Validation settings = config.validation();
        String jwksUrl = settings.jwksUrl().orElseThrow();
        // Refetches for unknown kids run on a worker thread: caller tokens are checked on the event loop.
        JwksCache keys = jwks != null ? jwks : new JwksCache(() -> fetch(jwksUrl), Duration.ofSeconds(30), clock,
                refetch -> vertx.executeBlocking(() -> {
                    refetch.run();
                    return null;
                }, false));
        jwks = keys;
        vertx.executeBlocking(() -> {
            int port = ownPort();
            if (keys.size() == 0 && !keys.refresh()) {
                throw new IllegalStateException("JWKS at " + jwksUrl + " could not be fetched");
            }
            return port;
        }, false).onSuccess(this::startFeed).onFailure(e -> {
            LOG.debugf("Token validation not started yet (%s); retrying in 1 s", e.getMessage());
            if (!stopped) {
                vertx.setTimer(RETRY_MS, id -> attempt());
            }
        });
    }

    private void startFeed(int port) {
        RevocationConfig.Validation settings = config.validation();
        channel = ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build();
        RevocationFeed.Settings feedSettings = RevocationFeed.Settings.defaults().withMaxStaleness(settings.maxStaleness());
        RevocationFeedClient client = new RevocationFeedClient(vertx, redisUrl(), config.channel(), RevocationGrpc.newStub(channel),
                feedSettings, (lastFresh, failingOpen) -> LOG.warnf("Revocation feed stale (last fresh %s); token validation failing %s",
                        lastFresh, failingOpen ? "open" : "closed"),
                clock);
        feedClient = client;
        client.startRetrying(Duration.ofMillis(RETRY_MS)).onSuccess(ignored -> {
            validator = new TokenValidator(ValidatorSettings.defaults(settings.issuer().orElseThrow()), jwks, client.feed(), clock);
            LOG.info("Token validation started: revocation feed in step");
        });
    }

    private String fetch(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(JWKS_TIMEOUT)
                .header("Accept", "application/jwk-set+json, application/json;q=0.9").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new java.io.IOException("JWKS answered HTTP " + response.statusCode());
        }
        return response.body();
    }

    /** The HTTP port this service actually listens on (gRPC shares it); random in tests. */
    private static int ownPort() {
        var cfg = ConfigProvider.getConfig();
        String key = LaunchMode.current() == LaunchMode.TEST ? "quarkus.http.test-port" : "quarkus.http.port";
        int port = cfg.getOptionalValue(key, Integer.class).orElse(0);
        if (port <= 0) {
            throw new IllegalStateException(key + " is not known yet");
        }
        return port;
    }

    private static String redisUrl() {
        String hosts = ConfigProvider.getConfig().getValue("quarkus.redis.hosts", String.class);
        return hosts.split(",")[0].trim();
    }

    private void closeFeed() {
        RevocationFeedClient client = feedClient;
        if (client != null) {
            client.close();
        }
        ManagedChannel current = channel;
        if (current != null) {
            current.shutdownNow();
        }
    }
}
