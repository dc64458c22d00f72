package dev.lifespan.audit.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Registers a gauge bound to this application's object. Micrometer returns an already registered gauge of the same
 * name instead of a new one, and a gauge only weakly references its object: when a registry outlives an application
 * start (several Quarkus test applications in one JVM share it), the old gauge would keep reading a dead object and
 * the new one would never be seen. Replacing it keeps the meter on the live object; in production it is a no-op.
 */
public final class Gauges {
    private Gauges() {
    }

    public static Gauge register(MeterRegistry registry, Gauge.Builder<?> builder, String name) {
        registry.find(name).meters().forEach(registry::remove);
        return builder.register(registry);
    }
}
