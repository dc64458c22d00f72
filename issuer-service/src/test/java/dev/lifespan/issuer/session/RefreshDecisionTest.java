package dev.lifespan.issuer.session;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RefreshDecisionTest {
    private static final Instant CREATED = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void retiredTokenWithinGraceIsARetryAndJustAfterItIsReuse() {
        Instant rotated = CREATED.plusSeconds(100);
        RefreshTokenState token = new RefreshTokenState("app", rotated, session(Duration.ofSeconds(10), null));
        assertThat(RefreshDecision.of(Optional.of(token), "app", null, rotated.plusSeconds(10))).isEqualTo(RefreshDecision.GRACE_RETRY);
        assertThat(RefreshDecision.of(Optional.of(token), "app", null, rotated.plusSeconds(10).plusNanos(1000)))
                .isEqualTo(RefreshDecision.REUSE);
        assertThat(RefreshDecision.of(Optional.of(token), "other-app", null, rotated.plusSeconds(1))).isEqualTo(RefreshDecision.WRONG_CLIENT);
    }

    @Test
    void withoutGraceAnyRepeatIsReuse() {
        Instant rotated = CREATED.plusSeconds(100);
        RefreshTokenState token = new RefreshTokenState("app", rotated, session(Duration.ZERO, null));
        assertThat(RefreshDecision.of(Optional.of(token), "app", null, rotated)).isEqualTo(RefreshDecision.REUSE);
    }

    @Test
    void sessionLimitsComeBeforeReuse() {
        RefreshTokenState token = new RefreshTokenState("app", CREATED.plusSeconds(1), session(Duration.ZERO, "phone"));
        assertThat(RefreshDecision.of(Optional.of(token), "app", "phone", CREATED.plus(Duration.ofHours(25))))
                .isEqualTo(RefreshDecision.SESSION_IDLE);
        assertThat(RefreshDecision.of(Optional.of(token), "app", "laptop", CREATED.plusSeconds(5))).isEqualTo(RefreshDecision.WRONG_DEVICE);
        assertThat(RefreshDecision.of(Optional.empty(), "app", null, CREATED)).isEqualTo(RefreshDecision.UNKNOWN);
    }

    private static SessionRow session(Duration grace, String device) {
        return new SessionRow("sid", "alice", "app", "web", device, List.of("openid"), List.of("api"), List.of(), null, List.of(), null,
                Duration.ofMinutes(15), Duration.ofHours(24), grace, CREATED, CREATED, CREATED.plus(Duration.ofDays(14)), "ACTIVE",
                null, null);
    }
}
