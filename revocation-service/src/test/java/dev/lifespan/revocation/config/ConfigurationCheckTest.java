package dev.lifespan.revocation.config;

import dev.lifespan.revocation.support.FixedConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigurationCheckTest {

    @Test
    void callerAuthenticationWithoutValidationRefusesToStart() {
        assertThatThrownBy(() -> new ConfigurationCheck(new FixedConfig(true, false)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lifespan.revocation.caller-auth.enabled requires lifespan.revocation.validation.issuer "
                        + "and lifespan.revocation.validation.jwks-url");
    }

    @Test
    void callerAuthenticationWithValidationOrSwitchedOffStarts() {
        assertThatCode(() -> new ConfigurationCheck(new FixedConfig(true, true))).doesNotThrowAnyException();
        assertThatCode(() -> new ConfigurationCheck(new FixedConfig(false, false))).doesNotThrowAnyException();
    }
}
