package dev.lifespan.validator.guard;

/**
 * Where {@link BearerAuthenticator} reports each decision, so that failures are counted by reason
 * (CONTRACT section 7). An interface of its own so the authenticator never loads a metrics
 * library: {@link ValidationMetrics} is the Micrometer implementation, used only when a service
 * has a {@code MeterRegistry}.
 */
@FunctionalInterface
public interface OutcomeCounter {

    /** Called once per {@link BearerAuthenticator#authenticate} call; must not throw or block. */
    void count(Authentication authentication);

    /** Counts nothing. */
    OutcomeCounter NONE = authentication -> { };
}
