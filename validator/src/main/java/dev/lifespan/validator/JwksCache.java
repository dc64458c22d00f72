package dev.lifespan.validator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lifespan.validator.jose.JwsVerifier;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The issuer's JWKS, held in memory. Refreshed on a schedule the caller drives ({@link #refresh()}),
 * which picks up NEXT keys before they sign; an unknown kid triggers a refetch at most once per
 * {@code minRefetchInterval}, so a flood of tokens with made-up kids cannot become a flood of
 * requests to the issuer. If the issuer cannot be reached, the keys already held stay in use.
 *
 * <p>Given a refetch {@link Executor}, a refetch never runs on the validating thread: the token with
 * the unknown kid fails at once ({@code UNKNOWN_KID}) and the refetch happens in the background, so
 * a caller-chosen kid can never hold an event loop on an HTTP request. Without one, the refetch runs
 * on the calling thread and the token that caused it can pass (for plain blocking callers). Keys are
 * published an hour before they sign and picked up by the scheduled {@link #refresh()}, so a
 * genuine token with a kid not yet seen is rare either way.
 */
public final class JwksCache implements KeySource {
    private static final Logger LOG = Logger.getLogger(JwksCache.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Callable<String> fetch;
    private final Duration minRefetchInterval;
    private final InstantSource clock;
    private final Executor refetchExecutor;
    private final AtomicBoolean refetching = new AtomicBoolean();
    private volatile Map<String, VerificationKey> keys = Map.of();
    private volatile Instant lastFetchAttempt = Instant.MIN;

    /**
     * @param fetch returns the JWK Set JSON (for example an HTTP GET of {@code /.well-known/jwks.json})
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
        if (now.isBefore(lastFetchAttempt.plus(minRefetchInterval)) || !refetching.compareAndSet(false, true)) {
            return Optional.empty();
        }
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
            if (now.isBefore(lastFetchAttempt.plus(minRefetchInterval))) {
                return Optional.ofNullable(keys.get(kid));
            }
            refresh();
            return Optional.ofNullable(keys.get(kid));
        } finally {
            refetching.set(false);
        }
    }

    /** Fetches the JWKS now; on failure keeps the keys it has and returns false. */
    public boolean refresh() {
        lastFetchAttempt = clock.instant();
        try {
            keys = parse(fetch.call());
            return true;
        } catch (Exception e) {
            LOG.log(Level.WARNING, "JWKS fetch failed; keeping the " + keys.size() + " keys held: " + e.getMessage());
            return false;
        }
    }

    /** Number of keys held. */
    public int size() {
        return keys.size();
    }

    /** Keys of a JWK Set; entries that are not usable Lifespan signing keys are skipped. */
    static Map<String, VerificationKey> parse(String jwksJson) throws java.io.IOException {
        JsonNode root = JSON.readTree(jwksJson);
        JsonNode array = root.path("keys");
        if (!array.isArray()) {
            throw new java.io.IOException("not a JWK Set");
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
