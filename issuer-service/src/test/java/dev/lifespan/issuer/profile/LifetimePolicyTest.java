package dev.lifespan.issuer.profile;

import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.support.TestConfigs;
import dev.lifespan.support.audit.ClientAuthFailures;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class LifetimePolicyTest {
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");
    private final LifespanConfig config = TestConfigs.shippedWith(Map.of());
    private final LifetimePolicy policy = new LifetimePolicy(config);
    private final RegisteredClient web = new ClientRegistry(config, new ClientAuthFailures(java.time.Clock.systemUTC(), 1)).find("web-app").orElseThrow();

    @Test
    void clientDefaultProfileApplies() {
        Lifetimes l = policy.decide(request(null, List.of(), "pwd", RiskLevel.RISK_LEVEL_LOW), web, NOW);
        assertThat(l.profile()).isEqualTo("web");
        assertThat(l.accessTtl()).isEqualTo(Duration.ofMinutes(15));
        assertThat(l.sessionLifetime()).isEqualTo(Duration.ofDays(14));
        assertThat(l.idleTimeout()).isEqualTo(Duration.ofHours(24));
    }

    @Test
    void riskShortensEveryLifetimeAndNeverLengthens() {
        Lifetimes elevated = policy.decide(request(null, List.of(), "pwd", RiskLevel.RISK_LEVEL_ELEVATED), web, NOW);
        assertThat(elevated.accessTtl()).isEqualTo(Duration.ofMinutes(15).dividedBy(2));
        assertThat(elevated.sessionLifetime()).isEqualTo(Duration.ofDays(7));
        Lifetimes high = policy.decide(request(null, List.of(), "pwd", RiskLevel.RISK_LEVEL_HIGH), web, NOW);
        assertThat(high.idleTimeout()).isEqualTo(Duration.ofHours(6));
    }

    @Test
    void requestedProfileMayShortenButNotLengthen() {
        Lifetimes payments = policy.decide(request("payments", List.of(), "mfa", null), web, NOW);
        assertThat(payments.profile()).isEqualTo("payments");
        ServiceException e = catchThrowableOfType(ServiceException.class,
                () -> policy.decide(request("mobile", List.of(), "pwd", null), web, NOW));
        assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
        assertThat(e.field()).isEqualTo("profile");
    }

    @Test
    void adminRoleAlwaysSelectsAdminAndNeedsMfa() {
        assertThat(policy.decide(request(null, List.of("admin"), "mfa", null), web, NOW).profile()).isEqualTo("admin");
        assertThat(policy.decide(request(null, List.of("admin"), "phr", null), web, NOW).profile()).as("stronger is fine")
                .isEqualTo("admin");
        ServiceException e = catchThrowableOfType(ServiceException.class,
                () -> policy.decide(request(null, List.of("admin"), "pwd", null), web, NOW));
        assertThat(e.kind()).isEqualTo(ErrorKind.INSUFFICIENT_USER_AUTHENTICATION);
        ServiceException unknownAcr = catchThrowableOfType(ServiceException.class,
                () -> policy.decide(request(null, List.of("admin"), "made-up", null), web, NOW));
        assertThat(unknownAcr.kind()).isEqualTo(ErrorKind.INSUFFICIENT_USER_AUTHENTICATION);
    }

    private static LifetimePolicy.Request request(String profile, List<String> roles, String acr, RiskLevel risk) {
        return new LifetimePolicy.Request(profile, roles, List.of(), acr, NOW.minusSeconds(10), risk, null);
    }
}
