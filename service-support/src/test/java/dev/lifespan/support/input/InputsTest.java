package dev.lifespan.support.input;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.support.error.ServiceException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class InputsTest {

    @Test
    void everyRefusalNamesTheFieldAndTheBoundInASentence() {
        assertRefused(() -> Inputs.required("subject", "", 255), "subject", "subject is required");
        assertRefused(() -> Inputs.required("subject", "s".repeat(256), 255), "subject", "subject is longer than 255 characters");
        assertRefused(() -> Inputs.optional("reason", "a\nb", 10), "reason", "reason contains control characters");
        assertRefused(() -> Inputs.words("scopes", List.of("a", "b c"), 5, 10), "scopes[1]", "scopes[1] contains a space; give one value per entry");
        assertRefused(() -> Inputs.words("scopes", List.of("a", "b", "c"), 2, 10), "scopes", "scopes has more than 2 values");
        assertRefused(() -> Inputs.optionalOf("acr", "x", 10, Set.of("pwd", "mfa")), "acr", "acr is x, not one of [mfa, pwd]");
        assertRefused(() -> Inputs.wordsOf("amr", List.of("otp", "magic"), 8, 10, Set.of("otp")), "amr[1]", "amr[1] is magic, not one of [otp]");
    }

    @Test
    void anEnumValueThisBuildDoesNotKnowIsRefusedNotReadAsTheDefault() {
        assertThat(Inputs.enumValue("risk_level", 0, RiskLevel::forNumber, false)).isNull();
        assertThat(Inputs.enumValue("risk_level", 3, RiskLevel::forNumber, false)).isEqualTo(RiskLevel.RISK_LEVEL_HIGH);
        assertRefused(() -> Inputs.enumValue("risk_level", 99, RiskLevel::forNumber, false), "risk_level",
                "risk_level is 99, not a known value; known values are [RISK_LEVEL_LOW, RISK_LEVEL_ELEVATED, RISK_LEVEL_HIGH]");
        assertRefused(() -> Inputs.enumValue("risk_level", 0, RiskLevel::forNumber, true), "risk_level", "risk_level is required");
    }

    @Test
    void timestampsAreCheckedAsTheTypeDefinesThem() {
        assertThat(ProtoTime.instant("t", false, Timestamp.getDefaultInstance())).isNull();
        Instant t = Instant.parse("2026-12-02T10:00:00.123456789Z");
        assertThat(ProtoTime.instant("t", true, ProtoTime.timestamp(t))).isEqualTo(t);
        assertRefused(() -> ProtoTime.instant("auth_time", true, Timestamp.newBuilder().setSeconds(1).setNanos(-5).build()), "auth_time",
                null);
        assertRefused(() -> ProtoTime.instant("auth_time", true, Timestamp.newBuilder().setSeconds(-1).build()), "auth_time", null);
        assertRefused(() -> ProtoTime.instant("auth_time", true, Timestamp.newBuilder().setSeconds(ProtoTime.MAX_EPOCH_SECOND + 1).build()),
                "auth_time", null);
    }

    private static void assertRefused(Runnable input, String field, String message) {
        ServiceException e = catchThrowableOfType(ServiceException.class, input::run);
        assertThat(e).isNotNull();
        assertThat(e.field()).isEqualTo(field);
        if (message != null) {
            assertThat(e.getMessage()).isEqualTo(message);
        }
    }
}
