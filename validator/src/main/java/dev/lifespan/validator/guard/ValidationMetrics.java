package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Counts every {@link BearerAuthenticator} decision in Micrometer as {@code lifespan.token.validations}
 * (Prometheus: {@code lifespan_token_validations_total}) tagged {@code outcome}: {@code valid}, each lower-cased
 * {@link ValidationFailure} ({@code expired}, {@code revoked_session}, …), {@code missing_credentials},
 * {@code insufficient_scope}. Every outcome is registered at zero up front, so a rate over a reason that has
 * not happened yet is 0 rather than absent. The only class of the library that needs Micrometer.
 */
public final class ValidationMetrics implements OutcomeCounter {
    /** Micrometer meter name. */
    public static final String NAME = "lifespan.token.validations";
    /** Tag holding the outcome. */
    public static final String OUTCOME = "outcome";

    private final Map<String, Counter> counters;

    public ValidationMetrics(MeterRegistry registry) {
        Map<String, Counter> byOutcome = new HashMap<>();
        for (String outcome : outcomes()) {
            byOutcome.put(outcome, Counter.builder(NAME)
                    .description("Access tokens presented to this node, by outcome")
                    .tag(OUTCOME, outcome)
                    .register(registry));
        }
        this.counters = Map.copyOf(byOutcome);
    }

    /** Every value the {@code outcome} tag can take. */
    public static List<String> outcomes() {
        List<String> outcomes = new ArrayList<>(List.of("valid", "missing_credentials", "insufficient_scope"));
        for (ValidationFailure failure : ValidationFailure.values()) {
            if (failure != ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED && failure != ValidationFailure.UNRECOGNIZED) {
                outcomes.add(failure.name().toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(outcomes);
    }

    @Override
    public void count(Authentication authentication) {
        Counter counter = counters.get(authentication.metricOutcome());
        if (counter != null) {
            counter.increment();
        }
    }
}
