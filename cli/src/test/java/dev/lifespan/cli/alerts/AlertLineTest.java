package dev.lifespan.cli.alerts;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AlertSeverity;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** How {@code lifespan alerts watch} prints an alert for people. */
class AlertLineTest {

    @Test
    void anAlertIsItsHeadlineTheServicesSummaryOnceAndTheAction() {
        Alert alert = Alert.newBuilder().setAlertId("7").setRule("validation-failures-per-address")
                .setSeverity(AlertSeverity.ALERT_SEVERITY_WARNING).setRaisedAt(Timestamp.newBuilder().setSeconds(1_796_482_669))
                .setClientId("demo-service").setSourceIp("127.0.0.1")
                .setSummary("60 VALIDATION_FAILED events for address 127.0.0.1 within 1m (threshold 50)").setObserved(60).setThreshold(50)
                .build();

        assertThat(AlertsCommand.line(alert)).isEqualTo("""
                2026-12-05T14:57:49Z  WARNING  validation-failures-per-address  #7  client=demo-service  ip=127.0.0.1
                    60 VALIDATION_FAILED events for address 127.0.0.1 within 1m (threshold 50)
                    action: none""");
    }
}
