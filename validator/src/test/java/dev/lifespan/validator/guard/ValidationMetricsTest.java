package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Every decision of the authenticator is counted, by outcome, in Micrometer. */
class ValidationMetricsTest {

    @Test
    void failuresAreCountedByReason() throws Exception {
        GuardTokens tokens = new GuardTokens();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        BearerAuthenticator authenticator = new BearerAuthenticator(tokens.validator((claims, now) ->
                "sid-revoked".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOKED_SESSION) : Optional.empty()),
                new ValidationMetrics(registry));
        Map<String, Object> expired = GuardTokens.claims();
        expired.put("exp", GuardTokens.NOW.getEpochSecond() - 100);
        Map<String, Object> revoked = GuardTokens.claims();
        revoked.put("sid", "sid-revoked");
        String valid = "Bearer " + tokens.token(GuardTokens.claims());

        authenticator.authenticate(valid, "api");
        authenticator.authenticate(valid, "api");
        authenticator.authenticate("Bearer " + tokens.token(expired), "api");
        authenticator.authenticate("Bearer " + tokens.token(revoked), "api");
        authenticator.authenticate("Bearer " + tokens.token(revoked), "api");
        authenticator.authenticate("Bearer " + tokens.token(revoked), "api");
        authenticator.authenticate(null, "api");
        authenticator.authenticate("Bearer not a token", "api");
        authenticator.authenticate(valid, "api", "api.write");

        assertThat(count(registry, "valid")).isEqualTo(2);
        assertThat(count(registry, "expired")).isEqualTo(1);
        assertThat(count(registry, "revoked_session")).isEqualTo(3);
        assertThat(count(registry, "missing_credentials")).isEqualTo(1);
        assertThat(count(registry, "malformed")).isEqualTo(1);
        assertThat(count(registry, "insufficient_scope")).isEqualTo(1);
        assertThat(count(registry, "bad_signature")).isZero();
        assertThat(registry.find(ValidationMetrics.NAME).counters()).hasSize(ValidationMetrics.outcomes().size());
    }

    private static double count(SimpleMeterRegistry registry, String outcome) {
        return registry.get(ValidationMetrics.NAME).tag(ValidationMetrics.OUTCOME, outcome).counter().count();
    }
}
