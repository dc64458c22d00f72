package dev.lifespan.issuer.config;

import dev.lifespan.issuer.support.TestConfigs;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigurationCheckTest {

    @Test
    void shippedDefaultsAreSafe() {
        assertThat(ConfigurationCheck.problems(TestConfigs.shippedWith(Map.of()))).isEmpty();
    }

    @Test
    void accessTokenLongerThanAnHourIsRefusedNamingTheKey() {
        assertThat(problems("lifespan.profiles.web.access-ttl", "61m")).singleElement().asString()
                .startsWith("lifespan.profiles.web.access-ttl=PT1H1M");
    }

    @Test
    void idleLongerThanAbsoluteIsRefused() {
        assertThat(problems("lifespan.profiles.mobile.idle-timeout", "61d")).singleElement().asString()
                .contains("lifespan.profiles.mobile.idle-timeout").contains("session-lifetime");
    }

    @Test
    void graceOverSixtySecondsIsRefused() {
        assertThat(problems("lifespan.profiles.web.reuse-grace", "61s")).singleElement().asString()
                .contains("lifespan.profiles.web.reuse-grace");
    }

    @Test
    void jwksCachedLongerThanThePrepublicationLeadIsRefused() {
        assertThat(problems("lifespan.keys.jwks-max-age", "2h")).singleElement().asString()
                .contains("lifespan.keys.jwks-max-age").contains("prepublish-lead");
    }

    @Test
    void groupCommitOutsideItsBoundsIsRefused() {
        assertThat(problems("lifespan.group-commit.concurrent-statements", "0")).singleElement().asString()
                .contains("lifespan.group-commit.concurrent-statements=0").contains("between 1 and 32");
        assertThat(problems("lifespan.group-commit.group-size", "5000")).singleElement().asString()
                .contains("lifespan.group-commit.group-size=5000").contains("between 1 and 1000");
    }

    @Test
    void rateLimitLeaseShareOutsideItsBoundsIsRefused() {
        assertThat(problems("lifespan.rate-limit.lease-share", "0.5")).singleElement().asString()
                .contains("lifespan.rate-limit.lease-share=0.5").contains("between 0 and 0.1");
        assertThat(problems("lifespan.rate-limit.lease-share", "-0.01")).singleElement().asString()
                .contains("lifespan.rate-limit.lease-share=-0.01");
        assertThat(problems("lifespan.rate-limit.lease-share", "0")).isEmpty();
    }

    @Test
    void missingOrWeakMasterKeyIsRefusedWithHowToMakeOne() {
        assertThat(problems("lifespan.master-key", "")).singleElement().asString()
                .contains("LIFESPAN_MASTER_KEY").contains("openssl rand -base64 32");
        assertThat(problems("lifespan.master-key", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")).singleElement().asString()
                .contains("does not look random");
    }

    @Test
    void clientsAreCheckedToo() {
        assertThat(problems("lifespan.clients.x.secret-hash", "plaintext-secret")).anyMatch(p -> p.contains("secret-hash"));
        assertThat(problems("lifespan.clients.x.grants", "client_credentials")).anyMatch(p -> p.contains("no secret-hash"));
        assertThat(problems("lifespan.clients.x.grants", "password")).anyMatch(p -> p.contains("password"));
    }

    @Test
    void serviceAndSingleUseLifetimesStayInTheirRanges() {
        assertThat(problems("lifespan.profiles.service.access-ttl", "11m")).singleElement().asString().contains("service");
        assertThat(problems("lifespan.profiles.single-use.access-ttl", "1m")).singleElement().asString().contains("single-use");
    }

    @Test
    void riskMayNotLengthen() {
        assertThat(problems("lifespan.risk.high-factor", "1.5")).singleElement().asString().contains("lifespan.risk.high-factor");
    }

    @Test
    void tlsFilesMustExistAndTheClientKeyComesWithItsCertificate() throws IOException {
        String certificate = Files.createTempFile("client", ".crt").toString();
        assertThat(problems("lifespan.revocation.tls.trust-certificates", "/nonexistent/ca.crt")).singleElement().asString()
                .contains("lifespan.revocation.tls.trust-certificates=/nonexistent/ca.crt is not a readable file");
        assertThat(ConfigurationCheck.problems(TestConfigs.shippedWith(Map.of("lifespan.revocation.tls.certificate", certificate))))
                .anyMatch(p -> p.contains("certificate and private-key go together"))
                .anyMatch(p -> p.contains("needs lifespan.revocation.tls.trust-certificates"));
    }

    private static List<String> problems(String key, String value) {
        Map<String, String> overrides = new HashMap<>(Map.of(key, value));
        if (key.startsWith("lifespan.clients.x.") && !key.endsWith("grants")) {
            overrides.put("lifespan.clients.x.grants", "refresh_token");
        }
        return ConfigurationCheck.problems(TestConfigs.shippedWith(overrides));
    }
}
