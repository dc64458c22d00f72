package dev.lifespan.validator.jose;

import org.junit.jupiter.api.Test;

import java.security.Security;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JcaProviderTest {
    @Test
    void conscryptOnTheClassPathIsPickedByDefault() {
        // the test class path has conscrypt-openjdk-uber (linux-x86_64 native library) and no system property
        assertThat(System.getProperty(JcaProvider.PROPERTY)).isNull();
        assertThat(JcaProvider.CONSCRYPT.isAvailable()).isTrue();
        assertThat(JcaProvider.selected()).isEqualTo(JcaProvider.CONSCRYPT);
        assertThat(JcaProvider.CONSCRYPT.description()).startsWith("Conscrypt 2.").endsWith("(BoringSSL)");
        assertThat(JcaProvider.JDK.description()).isEqualTo("JDK (SunEC, SunRsaSign)");
    }

    @Test
    void systemPropertyJdkForcesTheJdkEvenWhenConscryptLoads() {
        assertThat(JcaProvider.choose("jdk", true)).isEqualTo(JcaProvider.JDK);
        assertThat(JcaProvider.choose(" JDK ", true)).isEqualTo(JcaProvider.JDK);
        assertThat(JcaProvider.choose(null, true)).isEqualTo(JcaProvider.CONSCRYPT);
        assertThat(JcaProvider.choose("auto", true)).isEqualTo(JcaProvider.CONSCRYPT);
        assertThat(JcaProvider.choose("auto", false)).isEqualTo(JcaProvider.JDK);
        assertThat(JcaProvider.choose(null, false)).isEqualTo(JcaProvider.JDK);
    }

    @Test
    void missingConscryptIsAValueNotAnError() {
        JcaProvider.Loaded loaded = JcaProvider.load("org.conscrypt.NotHere");
        assertThat(loaded.provider()).isNull();
        assertThat(loaded.failure()).isEqualTo("not on the class path");
    }

    @Test
    void nativeLibraryThatDoesNotLoadFallsBackToTheJdk() {
        JcaProvider.Loaded thrown = JcaProvider.load(ThrowingConscrypt.class.getName());
        assertThat(thrown.provider()).isNull();
        assertThat(thrown.failure()).contains("UnsatisfiedLinkError");

        JcaProvider.Loaded broken = JcaProvider.load(BrokenStaticInitConscrypt.class.getName());
        assertThat(broken.provider()).isNull();
        assertThat(broken.failure()).contains("UnsatisfiedLinkError", "cannot open shared object file");
        assertThat(JcaProvider.choose(null, broken.provider() != null)).isEqualTo(JcaProvider.JDK);
    }

    @Test
    void realConscryptLoadsWithEveryAlgorithmTheValidatorNeeds() {
        JcaProvider.Loaded loaded = JcaProvider.load(JcaProvider.CONSCRYPT_CLASS);
        assertThat(loaded.failure()).isNull();
        assertThat(loaded.provider().getName()).isEqualTo("Conscrypt");
        assertThat(loaded.version()).matches("\\d+\\.\\d+\\.\\d+");
    }

    @Test
    void conscryptIsNeverInstalledAsAJvmWideProvider() {
        JwsVerifier.of("RS256", Jwks.rsa(Jwks.RSA.getPublic()), JcaProvider.CONSCRYPT);
        assertThat(Security.getProvider("Conscrypt")).isNull();
    }

    @Test
    void jdkIsAlwaysAvailable() {
        assertThat(JcaProvider.JDK.isAvailable()).isTrue();
        assertThat(JcaProvider.JDK.jcaProvider()).isNull();
        assertThatThrownBy(() -> JwsVerifier.of("nope", Map.of(), JcaProvider.JDK))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
