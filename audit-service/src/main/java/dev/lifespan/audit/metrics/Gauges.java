package dev.lifespan.audit.metrics;

import dev.lifespan.support.metrics.Meters;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/** Registers a gauge bound to this application's object, replacing a stale one of the same name ({@link Meters}). */
public final class Gauges {
    private Gauges() {
    }

    public static Gauge register(MeterRegistry registry, Gauge.Builder<?> builder, String name) {
        Meters.dropStale(registry, name, Tags.empty());
        return builder.register(registry);
    }
}
