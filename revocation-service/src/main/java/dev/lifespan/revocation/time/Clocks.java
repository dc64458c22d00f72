package dev.lifespan.revocation.time;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/** The clock every time rule reads; tests replace it with one they can move. */
@Singleton
public class Clocks {

    @Produces
    @Singleton
    @DefaultBean
    InstantSource systemClock() {
        return InstantSource.system();
    }

    /** Now, at PostgreSQL's precision, so what is stored compares equal to what was computed. */
    public static Instant now(InstantSource clock) {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    public static OffsetDateTime utc(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }
}
