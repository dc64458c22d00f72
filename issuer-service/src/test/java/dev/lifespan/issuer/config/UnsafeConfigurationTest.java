package dev.lifespan.issuer.config;

import dev.lifespan.issuer.support.IssuerTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The packaged application, started with an unsafe configuration, refuses to start and names every bad key. */
@QuarkusMainTest
@WithTestResource(IssuerTestResource.class)
@TestProfile(UnsafeConfigurationTest.Unsafe.class)
class UnsafeConfigurationTest {

    public static class Unsafe implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "lifespan.profiles.web.access-ttl", "2h",
                    "lifespan.profiles.payments.idle-timeout", "2d",
                    "lifespan.profiles.mobile.reuse-grace", "90s",
                    "lifespan.master-key", "c2hvcnQ=");
        }
    }

    @Test
    @Launch(value = {}, exitCode = 1)
    void unsafeProfileConfigurationRefusesToStartNamingEachKey(LaunchResult result) {
        String output = result.getOutput() + result.getErrorOutput();
        assertThat(output).contains("refusing to start")
                .contains("lifespan.profiles.web.access-ttl=PT2H")
                .contains("lifespan.profiles.payments.idle-timeout=PT48H")
                .contains("lifespan.profiles.mobile.reuse-grace=PT1M30S")
                .contains("lifespan.master-key");
    }
}
