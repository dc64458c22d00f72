package dev.lifespan.support.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

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

    /** Removes the meters named {@code name} whose tags include {@code tags} (every one of that name for none). */
    public static void dropStale(MeterRegistry registry, String name, Tags tags) {
        registry.find(name).tags(tags).meters().forEach(registry::remove);
    }
}
