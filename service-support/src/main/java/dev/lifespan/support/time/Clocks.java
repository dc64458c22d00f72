package dev.lifespan.support.time;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * The clock every time rule of every service reads ({@link InstantSource}, a default bean that tests
 * replace with one they can move), and the conversions to PostgreSQL's precision.
 */
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
