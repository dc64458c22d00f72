package dev.lifespan.issuer.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The issuer's Prometheus metrics: issuance by profile, refresh outcomes, reuse detections. */
@Singleton
public class IssuerMetrics {
    /** The outcome of a refresh that rotated the token. */
    public static final String ROTATED = "rotated";
    /** The outcome of a retry within the grace window, answered with the pair already made. */
    public static final String GRACE = "grace";

    private final MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    /** Registers the refresh successes and the reuse counter at zero, so that rates and dashboards see them before the first. */
    public IssuerMetrics(MeterRegistry registry) {
        this.registry = registry;
        counter("lifespan_refresh", "outcome", ROTATED, null, null);
        counter("lifespan_refresh", "outcome", GRACE, null, null);
        counter("lifespan_refresh_reuse_detected", null, null, null, null);
    }

    /** A token was issued; {@code kind}: access, service, single_use. */
    public void issued(String kind, String profile) {
        counter("lifespan_tokens_issued", "kind", kind, "profile", profile).increment();
    }

    /** Registers these refresh outcomes at zero (every refusal reason there is), so that rates and alerts see them before the first. */
    public void refreshOutcomes(Collection<String> outcomes) {
        outcomes.forEach(outcome -> counter("lifespan_refresh", "outcome", outcome, null, null));
    }

    /** A refresh attempt ended with {@code outcome} (rotated, grace, reuse, or a refusal reason). */
    public void refreshed(String outcome) {
        counter("lifespan_refresh", "outcome", outcome, null, null).increment();
    }

    /** A refresh succeeded (rotated, or a retry within the grace window) in a session of {@code profile}. */
    public void refreshedInProfile(String profile) {
        counter("lifespan_tokens_refreshed", "profile", profile, null, null).increment();
    }

    public void reuseDetected() {
        counter("lifespan_refresh_reuse_detected", null, null, null, null).increment();
    }

    public void singleUse(String outcome) {
        counter("lifespan_single_use_redemptions", "outcome", outcome, null, null).increment();
    }

    private Counter counter(String name, String k1, String v1, String k2, String v2) {
        String key = name + '|' + v1 + '|' + v2;
        return counters.computeIfAbsent(key, ignored -> {
            Counter.Builder builder = Counter.builder(name);
            if (k1 != null) {
                builder.tag(k1, v1);
            }
            if (k2 != null) {
                builder.tag(k2, v2);
            }
            return builder.register(registry);
        });
    }
}
