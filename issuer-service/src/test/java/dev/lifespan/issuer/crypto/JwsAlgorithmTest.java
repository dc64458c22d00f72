package dev.lifespan.issuer.crypto;

import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.lifespan.validator.jose.Base64Url;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JwsAlgorithmTest {

    @ParameterizedTest
    @EnumSource(JwsAlgorithm.class)
    void signaturesVerifyWithAnIndependentLibrary(JwsAlgorithm algorithm) throws Exception {
        JwsAlgorithm.GeneratedKey key = algorithm.generate();
        Map<String, Object> jwkMembers = new LinkedHashMap<>(key.publicJwk());
        jwkMembers.put("alg", algorithm.joseName());
        jwkMembers.put("kid", "k1");
        JWK jwk = JWK.parse(jwkMembers);

        String header = Base64Url.encode(("{\"alg\":\"" + algorithm.joseName() + "\",\"kid\":\"k1\",\"typ\":\"at+jwt\"}")
                .getBytes(StandardCharsets.UTF_8));
        String payload = Base64Url.encode("{\"sub\":\"alice\"}".getBytes(StandardCharsets.UTF_8));
        String input = header + "." + payload;
        // Sealed, stored and unsealed as the issuer does.
        MasterKey master = MasterKey.parse("q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=", "test");
        byte[] stored = master.decrypt(master.encrypt(key.privatePart(), "k1"), "k1");
        String token = input + "." + Base64Url.encode(algorithm.signer(stored).sign(input.getBytes(StandardCharsets.US_ASCII)));

        JWSVerifier verifier = jwk instanceof OctetKeyPair okp ? new Ed25519Verifier(okp)
                : jwk instanceof ECKey ec ? new ECDSAVerifier(ec) : new RSASSAVerifier((RSAKey) jwk);
        SignedJWT parsed = SignedJWT.parse(token);
        assertThat(parsed.getHeader().getAlgorithm().getName()).isEqualTo(algorithm.joseName());
        assertThat(parsed.verify(verifier)).isTrue();
        String tampered = header + "." + Base64Url.encode("{\"sub\":\"mallory\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + token.substring(token.lastIndexOf('.') + 1);
        assertThat(SignedJWT.parse(tampered).verify(verifier)).isFalse();
    }

    @Test
    void sealedKeyOpensOnlyUnderItsOwnKidAndMasterKey() {
        MasterKey master = MasterKey.parse("q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c=", "test");
        byte[] sealed = master.encrypt(new byte[] {1, 2, 3}, "kid-a");
        assertThat(master.decrypt(sealed, "kid-a")).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> master.decrypt(sealed, "kid-b")).hasMessageContaining("LIFESPAN_MASTER_KEY");
        MasterKey other = MasterKey.parse("z0x1c2v3b4n5m6a7s8d9f0g1h2j3k4l5q6w7e8r9t0y=", "test");
        assertThatThrownBy(() -> other.decrypt(sealed, "kid-a")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void base64UrlAcceptsExactlyOneSpelling() {
        assertThat(Base64Url.decodeCanonical("AQI")).containsExactly(1, 2);
        assertThatThrownBy(() -> Base64Url.decodeCanonical("AQJ")).as("non-zero trailing bits").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Base64Url.decodeCanonical("AQI=")).as("padding").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Base64Url.decodeCanonical("A+I")).as("standard alphabet").isInstanceOf(IllegalArgumentException.class);
    }
}
