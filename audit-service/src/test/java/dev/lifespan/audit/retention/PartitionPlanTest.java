package dev.lifespan.audit.retention;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PartitionPlanTest {
    static final Duration DAY = Duration.ofDays(1);

    @Test
    void slotsAreAlignedToTheEpochAndNamedAfterTheirStart() {
        PartitionPlan.Range slot = PartitionPlan.slot(Instant.parse("2025-03-01T17:45:00Z"), DAY);

        assertThat(slot.startsAt()).isEqualTo(Instant.parse("2025-03-01T00:00:00Z"));
        assertThat(slot.endsAt()).isEqualTo(Instant.parse("2025-03-02T00:00:00Z"));
        assertThat(slot.name()).isEqualTo("audit_event_20250301_000000");
    }

    @Test
    void createsTheCurrentAndTheNextPartitionsThatAreMissing() {
        Instant now = Instant.parse("2025-03-01T17:45:00Z");
        List<PartitionPlan.Range> existing = List.of(PartitionPlan.slot(now, DAY));

        List<PartitionPlan.Range> missing = PartitionPlan.missing(now, DAY, 2, existing);

        assertThat(missing).extracting(PartitionPlan.Range::name).containsExactly("audit_event_20250302_000000", "audit_event_20250303_000000");
        assertThat(PartitionPlan.missing(now, DAY, 2, List.of(existing.get(0), missing.get(0), missing.get(1)))).isEmpty();
    }

    @Test
    void aChangedSpanNeverOverlapsExistingPartitions() {
        Instant now = Instant.parse("2025-03-01T17:45:00Z");
        List<PartitionPlan.Range> daily = List.of(PartitionPlan.slot(now, DAY));

        List<PartitionPlan.Range> hourly = PartitionPlan.missing(Instant.parse("2025-03-01T23:30:00Z"), Duration.ofHours(1), 1, daily);

        assertThat(hourly).hasSize(1);
        assertThat(hourly.get(0).startsAt()).isEqualTo(Instant.parse("2025-03-02T00:00:00Z"));
        assertThat(hourly.get(0).endsAt()).isEqualTo(Instant.parse("2025-03-02T01:00:00Z"));
    }

    @Test
    void onlyPartitionsEntirelyPastTheKeepPeriodExpire() {
        List<PartitionPlan.Range> ranges = List.of(PartitionPlan.slot(Instant.parse("2025-01-01T00:00:00Z"), DAY),
                PartitionPlan.slot(Instant.parse("2025-01-02T00:00:00Z"), DAY), PartitionPlan.slot(Instant.parse("2025-01-03T00:00:00Z"), DAY));

        List<PartitionPlan.Range> expired = PartitionPlan.expired(ranges, Instant.parse("2025-01-12T12:00:00Z"), Duration.ofDays(9));

        assertThat(expired).extracting(PartitionPlan.Range::name).containsExactly("audit_event_20250101_000000", "audit_event_20250102_000000");
    }
}
