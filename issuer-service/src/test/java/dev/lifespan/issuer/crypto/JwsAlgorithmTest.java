package dev.lifespan.issuer.crypto;

import com.google.crypto.tink.subtle.Ed25519Sign;
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
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
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

    /** RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte): the known answers. */
    @ParameterizedTest
    @CsvSource({
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60, d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a, '', "
                    + "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb, 3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c, 72, "
                    + "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"})
    void ed25519SignsRfc8032sVectors(String seed, String publicKey, String message, String signature) throws Exception {
        HexFormat hex = HexFormat.of();
        JwsAlgorithm.Ed25519Signer signer = new JwsAlgorithm.Ed25519Signer(hex.parseHex(seed));
        assertThat(hex.formatHex(signer.publicKey())).isEqualTo(publicKey);
        assertThat(hex.formatHex(signer.sign(hex.parseHex(message)))).isEqualTo(signature);
    }

    /** Keys stored while the issuer signed through Tink sign exactly as they did: same seed, same message, same bytes. */
    @Test
    void ed25519SignsAsTinkDidWithTheSameStoredSeed() throws Exception {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 50; i++) {
            byte[] seed = i == 0 ? JwsAlgorithm.EdDSA.generate().privatePart() : Ed25519Sign.KeyPair.newKeyPair().getPrivateKey();
            byte[] message = new byte[random.nextInt(2048)];
            random.nextBytes(message);
            assertThat(JwsAlgorithm.EdDSA.signer(seed).sign(message)).isEqualTo(new Ed25519Sign(seed).sign(message));
        }
        assertThatThrownBy(() -> JwsAlgorithm.EdDSA.signer(new byte[31])).hasMessageContaining("unusable")
                .rootCause().hasMessageContaining("32 bytes, got 31");
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
