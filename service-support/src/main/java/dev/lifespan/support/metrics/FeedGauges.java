package dev.lifespan.support.metrics;

import dev.lifespan.validator.revocation.RevocationFeed;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Whether a service's validating node is in step with the revocation feed, and for how long it has not been: the two
 * gauges every service that validates tokens publishes, and that the {@code LifespanRevocationFeedStale} alert reads.
 * A feed that has never been in step counts as unheard since these gauges were registered (the service's start), so a
 * replica that starts during an outage, or can never reach its feed, shows a growing figure rather than a constant
 * that no threshold catches. {@code -1} means only that the service validates no tokens with a feed (configured off).
 */
public final class FeedGauges {
    public static final String IN_STEP = "lifespan_revocation_feed_in_step";
    public static final String UNHEARD = "lifespan_revocation_feed_unheard_seconds";

    private final InstantSource clock;
    private final BooleanSupplier configured;
    private final Supplier<Optional<RevocationFeed>> feed;
    private final Instant since;

    private FeedGauges(InstantSource clock, BooleanSupplier configured, Supplier<Optional<RevocationFeed>> feed) {
        this.clock = clock;
        this.configured = configured;
        this.feed = feed;
        this.since = clock.instant();
    }

    /**
     * Registers both gauges. {@code configured}: whether the service validates with a feed at all; {@code feed}: its
     * node's feed, empty while the node is not built yet. Keep the object returned: like every gauge, these hold it only
     * weakly, and read NaN once it is collected.
     */
    public static FeedGauges register(MeterRegistry registry, InstantSource clock, BooleanSupplier configured,
            Supplier<Optional<RevocationFeed>> feed) {
        FeedGauges gauges = new FeedGauges(clock, configured, feed);
        Meters.gauge(registry, IN_STEP, Tags.empty(), "1 while this node's revocation feed is in step and fresh, 0 while it is not (or off)",
                gauges, g -> g.inStep() ? 1 : 0);
        Meters.gauge(registry, UNHEARD, Tags.empty(),
                "Seconds since the revocation feed was last in step, or since the service started if it never was; -1 when off", gauges,
                FeedGauges::unheardSeconds);
        return gauges;
    }

    /** In step and fresh; false when off. */
    public boolean inStep() {
        return configured.getAsBoolean() && feed.get().map(f -> f.isReady(clock.instant())).orElse(false);
    }

    /** Seconds since last in step (or since registration, if never); -1 when off. */
    public double unheardSeconds() {
        if (!configured.getAsBoolean()) {
            return -1;
        }
        return Meters.secondsSince(feed.get().flatMap(RevocationFeed::lastFresh).orElse(since), clock.instant());
    }
}
