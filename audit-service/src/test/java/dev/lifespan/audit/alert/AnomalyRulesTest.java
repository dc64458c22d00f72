package dev.lifespan.audit.alert;

import dev.lifespan.api.v1.AlertSeverity;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.verifier.AuditRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnomalyRulesTest {
    static final Instant T = Instant.parse("2025-03-01T10:00:00Z");

    static AuditRecord event(String type, String subject, String session, String client, String ip, Map<String, String> attributes) {
        return new AuditRecord(0, "00000000-0000-0000-0000-000000000001", type, T, T, "issuer", subject, session, client, "", ip, "",
                new TreeMap<>(attributes), "", "");
    }

    @Test
    void reusedRefreshTokenCountsPerSessionAndFiresAtOne() {
        AnomalyRules rules = AnomalyRules.defaults();

        List<AnomalyRules.Observation> seen = rules.observe(event("REFRESH_TOKEN_REUSED", "alice", "sid-1", "web", "192.0.2.1", Map.of()),
                T.toEpochMilli());

        AnomalyRules.Observation reuse = seen.stream().filter(o -> o.rule().name().equals("refresh-reuse")).findFirst().orElseThrow();
        assertThat(reuse.key()).isEqualTo("sid-1");
        assertThat(reuse.rule().threshold()).isEqualTo(1);
        assertThat(reuse.rule().severity()).isEqualTo(AlertSeverity.ALERT_SEVERITY_CRITICAL);
        assertThat(seen).extracting(o -> o.rule().name()).containsExactlyInAnyOrder("refresh-reuse", "session-many-addresses");
    }

    @Test
    void validationFailuresCountPerSubjectClientAndAddressWeightedByTheirCount() {
        List<AnomalyRules.Observation> seen = AnomalyRules.defaults().observe(
                event("VALIDATION_FAILED", "alice", "", "web", "198.51.100.7", Map.of("count", "17")), T.toEpochMilli());

        assertThat(seen).extracting(o -> o.rule().name() + "=" + o.key() + "x" + o.weight()).containsExactlyInAnyOrder(
                "validation-failures-per-subject=alicex17", "validation-failures-per-client=webx17", "validation-failures-per-address=198.51.100.7x17");
    }

    @Test
    void unusableCountsWeighOne() {
        assertThat(AnomalyRules.weight(event("VALIDATION_FAILED", "", "", "web", "", Map.of("count", "-3")))).isEqualTo(1);
        assertThat(AnomalyRules.weight(event("VALIDATION_FAILED", "", "", "web", "", Map.of("count", "lots")))).isEqualTo(1);
        assertThat(AnomalyRules.weight(event("VALIDATION_FAILED", "", "", "web", "", Map.of("count", "99999999999")))).isEqualTo(AnomalyRules.MAX_WEIGHT);
        assertThat(AnomalyRules.weight(event("TOKEN_ISSUED", "", "", "web", "", Map.of("count", "5")))).isEqualTo(1);
    }

    @Test
    void eventsWithoutTheKeyAreNotCounted() {
        List<AnomalyRules.Observation> seen = AnomalyRules.defaults().observe(event("TOKEN_REFRESHED", "alice", "", "web", "", Map.of()), T.toEpochMilli());

        assertThat(seen).isEmpty();
    }

    @Test
    void futureEventsCountAtNow() {
        AuditRecord future = event("TOKEN_ISSUED", "a", "s", "web", "192.0.2.1", Map.of());

        List<AnomalyRules.Observation> seen = AnomalyRules.defaults().observe(future, T.toEpochMilli() - 5000);

        assertThat(seen).allSatisfy(o -> assertThat(o.timeMs()).isEqualTo(T.toEpochMilli() - 5000));
    }

    @Test
    void overridesApplyAndAreChecked() {
        AnomalyRules rules = AnomalyRules.configured(Map.of("refresh-storm", settings(Optional.of(5), Optional.of(Duration.ofSeconds(30)),
                Optional.of("revoke-session"), Optional.of("critical"))));

        AnomalyRule storm = rules.rule("refresh-storm");
        assertThat(storm.threshold()).isEqualTo(5);
        assertThat(storm.window()).isEqualTo(Duration.ofSeconds(30));
        assertThat(storm.cooldown()).as("the cooldown follows a changed window").isEqualTo(Duration.ofSeconds(30));
        assertThat(storm.action()).isEqualTo(AnomalyRule.Action.REVOKE_SESSION);
        assertThat(storm.severity()).isEqualTo(AlertSeverity.ALERT_SEVERITY_CRITICAL);
        assertThat(rules.rule("issuance-spike").threshold()).isEqualTo(1000);

        assertThatThrownBy(() -> AnomalyRules.configured(Map.of("no-such-rule", settings(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty())))).hasMessageStartingWith("lifespan.audit.anomaly.rules.no-such-rule: no such rule");
        assertThatThrownBy(() -> AnomalyRules.configured(Map.of("refresh-storm", settings(Optional.of(0), Optional.empty(), Optional.empty(),
                Optional.empty())))).hasMessage("lifespan.audit.anomaly.rules.refresh-storm.threshold must be between 1 and 10000000");
        assertThatThrownBy(() -> AnomalyRules.configured(Map.of("refresh-storm", settings(Optional.empty(), Optional.empty(), Optional.of("delete-all"),
                Optional.empty())))).hasMessageContaining("'delete-all' is not alert, revoke-session or revoke-subject");
    }

    @Test
    void summaryNamesCountKeyWindowAndThreshold() {
        AnomalyRule rule = AnomalyRules.defaults().rule("validation-failures-per-subject");

        assertThat(rule.summary("alice", 25)).isEqualTo("25 VALIDATION_FAILED events for subject alice within 1m (threshold 20)");
        assertThat(AnomalyRules.defaults().rule("session-many-addresses").summary("sid-9", 4))
                .isEqualTo("4 distinct source addresses for session sid-9 within 1h (threshold 4)");
    }

    static AuditConfig.RuleSettings settings(Optional<Integer> threshold, Optional<Duration> window, Optional<String> action,
            Optional<String> severity) {
        return new AuditConfig.RuleSettings() {
            @Override
            public Optional<Boolean> enabled() {
                return Optional.empty();
            }

            @Override
            public Optional<Integer> threshold() {
                return threshold;
            }

            @Override
            public Optional<Duration> window() {
                return window;
            }

            @Override
            public Optional<Duration> cooldown() {
                return Optional.empty();
            }

            @Override
            public Optional<String> action() {
                return action;
            }

            @Override
            public Optional<String> severity() {
                return severity;
            }
        };
    }
}
