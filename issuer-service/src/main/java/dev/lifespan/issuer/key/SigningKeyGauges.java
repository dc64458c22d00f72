package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.KeyState;
import dev.lifespan.support.metrics.Meters;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;

/**
 * Whether automatic rotation is keeping up, as this replica sees the keys: {@code lifespan_signing_keys{state}} counts
 * the published keys by state ({@code next}, {@code active}, {@code retired}), and
 * {@code lifespan_signing_keys_loaded_age_seconds} is how long ago this replica last read the key rows (since its start,
 * if it never has). A standby ({@code next}) is published again within a rotation check of each key starting to sign,
 * so none for long means rotations are failing: the signing key keeps signing past {@code rotation-interval}, and an
 * emergency rotation would have no key the validating nodes already hold. A replica that stops reading the rows does
 * not follow another replica's rotation. The alerts {@code LifespanSigningKeyStandbyMissing} and
 * {@code LifespanSigningKeysNotReloaded} read these.
 */
@Startup
@Singleton
public class SigningKeyGauges {
    static final String KEYS = "lifespan_signing_keys";
    static final String LOADED_AGE = "lifespan_signing_keys_loaded_age_seconds";
    private static final Map<KeyState, String> STATES = Map.of(KeyState.KEY_STATE_NEXT, "next", KeyState.KEY_STATE_ACTIVE, "active",
            KeyState.KEY_STATE_RETIRED, "retired");

    private final SigningKeyRing ring;
    private final InstantSource clock;
    private final Instant since;

    public SigningKeyGauges(SigningKeyRing ring, InstantSource clock, MeterRegistry registry) {
        this.ring = ring;
        this.clock = clock;
        this.since = clock.instant();
        STATES.forEach((state, label) -> Meters.gauge(registry, KEYS, Tags.of("state", label),
                "Signing keys this replica publishes, by state (next: the standby; active: signs now; retired: still verifies)", this,
                g -> g.count(state)));
        Meters.gauge(registry, LOADED_AGE, Tags.empty(), "Seconds since this replica last read the signing key rows (since its start if never)",
                this, SigningKeyGauges::loadedAgeSeconds);
    }

    private double count(KeyState state) {
        Instant now = Clocks.now(clock);
        return ring.published(now).stream().filter(k -> KeySchedule.state(k.times(), now) == state).count();
    }

    private double loadedAgeSeconds() {
        return Meters.secondsSince(ring.loadedAt().orElse(since), clock.instant());
    }
}
