package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.KeyState;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class KeyScheduleTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration WEEK = Duration.ofDays(7);
    private static final Duration LEAD = Duration.ofHours(1);

    @Test
    void withNoKeyAKeyMustSignAtOnce() {
        assertThat(KeySchedule.dueActivation(List.of(), T0, WEEK, LEAD)).contains(T0);
    }

    @Test
    void aStandbyKeyIsPublishedAsSoonAsAKeySignsAndSignsWhenTheIntervalIsUp() {
        KeyTimes active = key("a", T0, null, null);
        assertThat(KeySchedule.dueActivation(List.of(active), T0, WEEK, LEAD)).as("standby at once").contains(T0.plus(WEEK));
        Instant checkAt = T0.plus(WEEK).minus(LEAD);
        assertThat(KeySchedule.dueActivation(List.of(active), checkAt, WEEK, LEAD)).contains(T0.plus(WEEK));
        // An overdue rotation (replicas were down) still gets the full lead.
        Instant late = T0.plus(WEEK).plus(Duration.ofDays(2));
        assertThat(KeySchedule.dueActivation(List.of(active), late, WEEK, LEAD)).contains(late.plus(LEAD));
        // With the standby published, nothing more is due.
        assertThat(KeySchedule.dueActivation(List.of(active, key("b", T0.plus(WEEK), null, null)), T0, WEEK, LEAD)).isEmpty();
    }

    @Test
    void aStandbySignsEarlyOnlyAfterAFullLeadOfPublication() {
        assertThat(KeySchedule.earliestActivation(T0, T0.plusSeconds(60), LEAD)).isEqualTo(T0.plus(LEAD));
        assertThat(KeySchedule.earliestActivation(T0, T0.plus(Duration.ofDays(2)), LEAD)).isEqualTo(T0.plus(Duration.ofDays(2)));
    }

    @Test
    void statesFollowTheClock() {
        Instant switchAt = T0.plus(WEEK);
        KeyTimes old = key("a", T0, switchAt, switchAt.plus(Duration.ofMinutes(65)));
        KeyTimes next = key("b", switchAt, null, null);
        List<KeyTimes> keys = List.of(old, next);
        Instant before = switchAt.minusSeconds(1);
        assertThat(KeySchedule.state(next, before)).isEqualTo(KeyState.KEY_STATE_NEXT);
        assertThat(KeySchedule.signingKey(keys, before)).contains(old);
        assertThat(KeySchedule.dueActivation(keys, before, WEEK, LEAD)).as("NEXT already waiting").isEmpty();
        assertThat(KeySchedule.signingKey(keys, switchAt)).contains(next);
        assertThat(KeySchedule.state(old, switchAt)).isEqualTo(KeyState.KEY_STATE_RETIRED);
        assertThat(KeySchedule.published(old, switchAt.plus(Duration.ofMinutes(64)))).isTrue();
        assertThat(KeySchedule.published(old, switchAt.plus(Duration.ofMinutes(65)))).isFalse();
        assertThat(KeySchedule.gone(keys, switchAt.plus(Duration.ofMinutes(65)))).containsExactly(old);
    }

    @Test
    void compromisedKeyIsNeverPublishedNorSigns() {
        KeyTimes leaked = new KeyTimes("a", JwsAlgorithm.EdDSA, T0, T0.plusSeconds(5), T0.plusSeconds(3600), T0.plusSeconds(5));
        assertThat(KeySchedule.state(leaked, T0.plusSeconds(6))).isEqualTo(KeyState.KEY_STATE_COMPROMISED);
        assertThat(KeySchedule.published(leaked, T0.plusSeconds(6))).isFalse();
        assertThat(KeySchedule.signingKey(List.of(leaked), T0.plusSeconds(6))).isEmpty();
    }

    private static KeyTimes key(String kid, Instant activates, Instant retires, Instant expires) {
        return new KeyTimes(kid, JwsAlgorithm.EdDSA, activates, retires, expires, null);
    }
}
