package dev.lifespan.revocation.validation;

import dev.lifespan.api.v1.ValidationFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code TokenValidation.Validate} answers by outcome, {@code lifespan_validate_requests_total{outcome}}: {@code valid}
 * or the lower-cased failure reason ({@code expired}, {@code revoked_session}, ..., {@code revocation_feed_stale} for the
 * answers given as UNAVAILABLE). Every outcome is registered at zero, so a rate over one that has not happened is 0.
 */
@Singleton
public class ValidateOutcomes {
    private final Counter valid;
    private final Map<ValidationFailure, Counter> failures = new EnumMap<>(ValidationFailure.class);

    public ValidateOutcomes(MeterRegistry registry) {
        this.valid = counter(registry, "valid");
        for (ValidationFailure failure : ValidationFailure.values()) {
            if (failure != ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED && failure != ValidationFailure.UNRECOGNIZED) {
                failures.put(failure, counter(registry, failure.name().toLowerCase(Locale.ROOT)));
            }
        }
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("lifespan_validate_requests").description("TokenValidation.Validate answers by outcome")
                .tag("outcome", outcome).register(registry);
    }

    public void valid() {
        valid.increment();
    }

    public void failed(ValidationFailure failure) {
        Counter counter = failures.get(failure);
        if (counter != null) {
            counter.increment();
        }
    }
}
