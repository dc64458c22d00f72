package dev.lifespan.support.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

import java.time.Instant;
import java.util.function.ToDoubleFunction;

/**
 * For meters bound to an object of this application (gauges, function counters). Micrometer returns an already
 * registered meter of the same name and tags instead of a new one, and such a meter only weakly references its object:
 * when a registry outlives an application start (several Quarkus test applications in one JVM share it), the old meter
 * would keep reading a dead object and the new one would never be seen. Dropping it first keeps the meter on the live
 * object; in production, where each registry sees one start, it is a no-op.
 */
public final class Meters {
    private Meters() {
    }

    /** Seconds from {@code from} to {@code now}, never negative: what an age gauge ({@code *_age_seconds}, {@code *_unheard_seconds}) reads. */
    public static double secondsSince(Instant from, Instant now) {
        return Math.max(0, now.toEpochMilli() - from.toEpochMilli()) / 1000.0;
    }

    /** Removes the meters named {@code name} whose tags include {@code tags} (every one of that name for none). */
    public static void dropStale(MeterRegistry registry, String name, Tags tags) {
        registry.find(name).tags(tags).meters().forEach(registry::remove);
    }

    /** A gauge of {@code value} read from {@code object}, replacing a stale one of the same name and tags. */
    public static <T> Gauge gauge(MeterRegistry registry, String name, Tags tags, String description, T object, ToDoubleFunction<T> value) {
        dropStale(registry, name, tags);
        return Gauge.builder(name, object, value).tags(tags).description(description).register(registry);
    }

    /**
     * A counter whose count is read from {@code object} ({@code baseUnit} may be null), replacing a stale one of the same
     * name and tags.
     */
    public static <T> FunctionCounter counter(MeterRegistry registry, String name, Tags tags, String description, String baseUnit,
            T object, ToDoubleFunction<T> count) {
        dropStale(registry, name, tags);
        return FunctionCounter.builder(name, object, count).tags(tags).description(description).baseUnit(baseUnit).register(registry);
    }
}
