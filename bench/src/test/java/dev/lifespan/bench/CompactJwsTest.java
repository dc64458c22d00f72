package dev.lifespan.bench;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

class CompactJwsTest {

    @ParameterizedTest
    @EnumSource(SigningImplementation.class)
    void signedTokenVerifiesAndCarriesTheAtJwtHeader(SigningImplementation implementation) throws Exception {
        JwsSigner signer = implementation.newSigner();
        String token = CompactJws.sign(signer, SampleAccessToken.headerJson(signer.jwsAlgorithm()),
                SampleAccessToken.payloadJson());

        assertThat(token.split("\\.", -1)).hasSize(3);
        assertThat(token).doesNotContain("=", "+", "/");
        String header = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))),
                StandardCharsets.UTF_8);
        assertThat(header).contains("\"alg\":\"" + implementation.jwsAlgorithm() + "\"", "\"typ\":\"at+jwt\"", "\"kid\"");
        assertThat(CompactJws.verify(signer, token)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(SigningImplementation.class)
    void changedPayloadDoesNotVerify(SigningImplementation implementation) throws Exception {
        JwsSigner signer = implementation.newSigner();
        String token = CompactJws.sign(signer, SampleAccessToken.headerJson(signer.jwsAlgorithm()),
                SampleAccessToken.payloadJson());
        String[] parts = token.split("\\.");
        String otherPayload = Base64.getUrlEncoder().withoutPadding()
                .encodeToString("{\"sub\":\"mallory\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(CompactJws.verify(signer, parts[0] + "." + otherPayload + "." + parts[2])).isFalse();
        assertThat(CompactJws.verify(signer, parts[0] + "." + parts[1])).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = SigningImplementation.class, names = {"ES256_JDK", "EDDSA_TINK"})
    void typicalTokenIsAbout580Bytes(SigningImplementation implementation) throws Exception {
        JwsSigner signer = implementation.newSigner();
        String token = CompactJws.sign(signer, SampleAccessToken.headerJson(signer.jwsAlgorithm()),
                SampleAccessToken.payloadJson());

        assertThat(token.length()).isBetween(540, 620);
    }
}
