package dev.lifespan.audit.verifier;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExportLinesTest {
    @Test
    void timesAreWrittenWithSixDigitsAndReadInAnyIsoForm() {
        assertThat(ExportLines.time(Instant.parse("2025-03-01T10:00:00Z"))).isEqualTo("2025-03-01T10:00:00.000000Z");
        assertThat(ExportLines.exactTime("2025-03-01T10:00:00.123456Z")).isEqualTo(Instant.parse("2025-03-01T10:00:00.123456Z"));
        assertThat(ExportLines.exactTime("2025-02-30T10:00:00.123456Z")).as("no such day: left to the full parser, which refuses it").isNull();
        assertThat(ExportLines.exactTime("2025-03-01T10:00:00Z")).isNull();

        String line = ExportLines.toJson(Chains.chain(1).get(0)).replace(".123456Z", "Z").replaceFirst("\"recorded_at\":\"[^\"]+\"",
                "\"recorded_at\":\"2025-03-01T10:00:00.5+00:00\"");
        AuditRecord parsed = ExportLines.parse(line.replaceFirst("\"occurred_at\":\"[^\"]+\"", "\"occurred_at\":\"2025-03-01T10:00:00Z\""));
        assertThat(parsed.occurredAt()).isEqualTo(Instant.parse("2025-03-01T10:00:00Z"));
        assertThat(parsed.recordedAt()).isEqualTo(Instant.parse("2025-03-01T10:00:00.500Z"));
        assertThatThrownBy(() -> ExportLines.parse(line.replaceFirst("\"occurred_at\":\"[^\"]+\"", "\"occurred_at\":\"2025-02-30T10:00:00.000000Z\"")))
                .hasMessageContaining("occurred_at is not an ISO-8601 instant");
    }
}
