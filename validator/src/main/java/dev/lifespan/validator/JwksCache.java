package dev.lifespan.validator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.validator.jose.JwsVerifier;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The issuer's JWKS, held in memory. Refreshed on a schedule the caller drives ({@link #refresh()}),
 * which picks up NEXT keys before they sign, and whenever the caller learns the key set changed
 * ({@link #refreshSoon()}, for example on a KEY revocation rule). An unknown kid triggers a refetch,
 * rate-limited twice over so that a flood of tokens with made-up kids cannot become a flood of requests
 * to the issuer: at most one refetch per {@code minRefetchInterval} whatever the kids (1 s is a good
 * value: a genuinely new key is usable within about a second), and a kid that was still unknown after a
 * refetch triggers another only after {@link #UNKNOWN_KID_BACKOFF}. If the issuer cannot be reached, the
 * keys already held stay in use.
 *
 * <p>Given a refetch {@link Executor}, a refetch never runs on the validating thread: the token with
 * the unknown kid fails at once ({@code UNKNOWN_KID}) and the refetch happens in the background, so
 * a caller-chosen kid can never hold an event loop on an HTTP request. Without one, the refetch runs
 * on the calling thread and the token that caused it can pass (for plain blocking callers).
 *
 * <p>Fetch failures are logged once when they start (WARNING) and once when fetching works again
 * (INFO), not on every attempt, so a node started before the issuer logs one clear line.
 */
public final class JwksCache implements KeySource {
    /** How long a kid that a refetch did not find is left alone before it may trigger another refetch. */
    public static final Duration UNKNOWN_KID_BACKOFF = Duration.ofSeconds(30);
    private static final int MAX_REMEMBERED_UNKNOWN_KIDS = 1024;
    private static final Logger LOG = Logger.getLogger(JwksCache.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Callable<String> fetch;
    private final Duration minRefetchInterval;
    private final InstantSource clock;
    private final Executor refetchExecutor;
    private final AtomicBoolean refetching = new AtomicBoolean();
    private final AtomicBoolean failing = new AtomicBoolean();
    /** Unknown kids a refetch was made for, and when: bounded, cleared when full. */
    private final ConcurrentHashMap<String, Instant> unknownKids = new ConcurrentHashMap<>();
    private volatile Map<String, VerificationKey> keys = Map.of();
    private volatile Instant lastFetchAttempt = Instant.MIN;

    /**
     * A blocking HTTP GET of the issuer's JWK Set at {@code url} (its {@code /.well-known/jwks.json}), failing on any
     * answer but 200; {@code timeout} bounds the connection and the answer. Run it off event loops.
     */
    public static Callable<String> overHttp(String url, Duration timeout) {
        return overHttp(url, timeout, null);
    }

    /**
     * {@link #overHttp(String, Duration)} over TLS as {@code tls} sets it (the certificates an {@code https} URL must
     * chain to, and a client certificate where the issuer asks for one); null for the JDK's defaults.
     */
    public static Callable<String> overHttp(String url, Duration timeout, SSLContext tls) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                .header("Accept", "application/jwk-set+json, application/json;q=0.9").GET().build();
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(timeout);
        if (tls != null) {
            builder.sslContext(tls);
        }
        HttpClient http = builder.build();
        // The last answer and its entity tag: asked again with If-None-Match, an unchanged set comes back as 304.
        AtomicReference<Tagged> last = new AtomicReference<>();
        return () -> {
            Tagged held = last.get();
            HttpRequest ask = held == null ? request : HttpRequest.newBuilder(request, (name, value) -> true)
                    .header("If-None-Match", held.etag()).build();
            HttpResponse<String> response = http.send(ask, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 304 && held != null) {
                return held.body();
            }
            if (response.statusCode() != 200) {
                throw new IOException("JWKS at " + url + " answered HTTP " + response.statusCode());
            }
            last.set(response.headers().firstValue("ETag").map(tag -> new Tagged(tag, response.body())).orElse(null));
            return response.body();
        };
    }

    /** A JWK Set as fetched, with the entity tag it came with. */
    private record Tagged(String etag, String body) {
    }

    /**
     * @param fetch returns the JWK Set JSON (for example {@link #overHttp(String, Duration)})
     */
    public JwksCache(Callable<String> fetch, Duration minRefetchInterval, InstantSource clock) {
        this(fetch, minRefetchInterval, clock, null);
    }

    /**
     * @param fetch           returns the JWK Set JSON
     * @param refetchExecutor where refetches for unknown kids run, off the validating thread; null for the calling thread
     */
    public JwksCache(Callable<String> fetch, Duration minRefetchInterval, InstantSource clock, Executor refetchExecutor) {
        this.fetch = fetch;
        this.minRefetchInterval = minRefetchInterval;
        this.clock = clock;
        this.refetchExecutor = refetchExecutor;
    }

    @Override
    public Optional<VerificationKey> key(String kid) {
        VerificationKey known = keys.get(kid);
        if (known != null) {
            return Optional.of(known);
        }
        Instant now = clock.instant();
        Instant triedFor = unknownKids.get(kid);
        if (triedFor != null && now.isBefore(triedFor.plus(UNKNOWN_KID_BACKOFF))) {
            return Optional.empty();
        }
        if (now.isBefore(lastFetchAttempt.plus(minRefetchInterval)) || !refetching.compareAndSet(false, true)) {
            return Optional.empty();
        }
        if (unknownKids.size() >= MAX_REMEMBERED_UNKNOWN_KIDS) {
            unknownKids.clear();
        }
        unknownKids.put(kid, now);
        if (refetchExecutor != null) {
            lastFetchAttempt = now;
            try {
                refetchExecutor.execute(() -> {
                    try {
                        refresh();
                    } finally {
                        refetching.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                refetching.set(false);
            }
            return Optional.empty();
        }
        try {
            refresh();
            return Optional.ofNullable(keys.get(kid));
        } finally {
            refetching.set(false);
        }
    }

    /**
     * Refetches in the background (on the refetch executor, or the calling thread without one) unless a
     * fetch ran within {@code minRefetchInterval}: for callers told the key set changed.
     */
    public void refreshSoon() {
        Instant now = clock.instant();
        if (now.isBefore(lastFetchAttempt.plus(minRefetchInterval)) || !refetching.compareAndSet(false, true)) {
            return;
        }
        Runnable run = () -> {
            try {
                refresh();
            } finally {
                refetching.set(false);
            }
        };
        if (refetchExecutor == null) {
            run.run();
            return;
        }
        lastFetchAttempt = now;
        try {
            refetchExecutor.execute(run);
        } catch (RejectedExecutionException e) {
            refetching.set(false);
        }
    }

    /** Fetches the JWKS now; on failure keeps the keys it has and returns false. */
    public boolean refresh() {
        lastFetchAttempt = clock.instant();
        try {
            Map<String, VerificationKey> fetched = parse(fetch.call());
            keys = fetched;
            unknownKids.keySet().removeAll(fetched.keySet());
            if (failing.compareAndSet(true, false)) {
                LOG.info("JWKS fetched again: " + fetched.size() + " key(s)");
            }
            return true;
        } catch (Exception e) {
            if (failing.compareAndSet(false, true)) {
                LOG.log(Level.WARNING, "JWKS cannot be fetched (" + describe(e) + "); keeping the " + keys.size()
                        + " key(s) held and trying again. Logged once until a fetch succeeds.");
            } else {
                LOG.log(Level.FINE, "JWKS fetch failed again: " + describe(e));
            }
            return false;
        }
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + message;
    }

    /** Number of keys held. */
    public int size() {
        return keys.size();
    }

    /** Keys of a JWK Set; entries that are not usable Lifespan signing keys are skipped. */
    static Map<String, VerificationKey> parse(String jwksJson) throws IOException {
        JsonNode root = JSON.readTree(jwksJson);
        JsonNode array = root.path("keys");
        if (!array.isArray()) {
            throw new IOException("not a JWK Set");
        }
        Map<String, VerificationKey> parsed = new HashMap<>();
        for (JsonNode jwk : array) {
            String kid = jwk.path("kid").asText(null);
            String alg = jwk.path("alg").asText(null);
            String use = jwk.path("use").asText("sig");
            if (kid == null || alg == null || !"sig".equals(use) || !JwsVerifier.SUPPORTED.contains(alg)) {
                continue;
            }
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> members = JSON.convertValue(jwk, Map.class);
                parsed.put(kid, new VerificationKey(kid, alg, JwsVerifier.of(alg, members)));
            } catch (IllegalArgumentException e) {
                LOG.log(Level.WARNING, "Skipping unusable JWK " + kid + ": " + e.getMessage());
            }
        }
        return Map.copyOf(parsed);
    }
}
