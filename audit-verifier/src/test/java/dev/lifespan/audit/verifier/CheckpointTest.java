package dev.lifespan.audit.verifier;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointTest {
    static final String HASH = "ab".repeat(32);

    static KeyPair keys() throws Exception {
        return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    @Test
    void signedTextIsTheDocumentedFourLines() {
        Checkpoint checkpoint = new Checkpoint(1000, HASH, Instant.parse("2025-03-01T10:00:00.123999Z"), "k", "s");

        assertThat(new String(checkpoint.signedText(), StandardCharsets.US_ASCII))
                .isEqualTo("lifespan.audit.checkpoint.v1\n1000\n" + HASH + "\n1740823200123\n");
    }

    @Test
    void signatureVerifiesWithTheSigningKeyOnly() throws Exception {
        KeyPair pair = keys();
        Checkpoint checkpoint = Checkpoint.sign(42, HASH, Instant.now(), pair.getPrivate(), CheckpointKeys.keyId(pair.getPublic()));

        assertThat(checkpoint.verify(pair.getPublic())).isTrue();
        assertThat(checkpoint.verify(keys().getPublic())).isFalse();
        assertThat(new Checkpoint(43, HASH, checkpoint.signedAt(), checkpoint.keyId(), checkpoint.signature()).verify(pair.getPublic())).isFalse();
        assertThat(new Checkpoint(42, "cd".repeat(32), checkpoint.signedAt(), checkpoint.keyId(), checkpoint.signature())
                .verify(pair.getPublic())).isFalse();
        assertThat(new Checkpoint(42, HASH, checkpoint.signedAt().plusMillis(1), checkpoint.keyId(), checkpoint.signature())
                .verify(pair.getPublic())).isFalse();
        assertThat(new Checkpoint(42, HASH, checkpoint.signedAt(), checkpoint.keyId(), "not base64!").verify(pair.getPublic())).isFalse();
    }

    @Test
    void jsonRoundTripsAndRefusesUnknownMembers() throws Exception {
        KeyPair pair = keys();
        Checkpoint checkpoint = Checkpoint.sign(7, HASH, Instant.parse("2025-03-01T10:00:00.5Z"), pair.getPrivate(), "kid");

        String json = checkpoint.toJson();

        assertThat(json).startsWith("{\"sequence\":7,\"hash\":\"" + HASH + "\",\"signed_at\":\"2025-03-01T10:00:00.500Z\",\"key_id\":\"kid\"");
        assertThat(Checkpoint.parse(json)).isEqualTo(checkpoint);
        assertThatThrownBy(() -> Checkpoint.parse(json.replace("{\"sequence\"", "{\"note\":\"x\",\"sequence\"")))
                .hasMessageContaining("unknown checkpoint member \"note\"");
        assertThatThrownBy(() -> Checkpoint.parse(json.replace("\"sequence\":7", "\"sequence\":7,\"sequence\":8")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void keysReadFromPemAndBase64AndHaveStableIds() throws Exception {
        KeyPair pair = keys();
        String pem = CheckpointKeys.pem(pair.getPublic());

        PublicKey fromPem = CheckpointKeys.publicKey(pem);
        PublicKey fromBase64 = CheckpointKeys.publicKey(java.util.Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));

        assertThat(fromPem.getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThat(fromBase64.getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThat(CheckpointKeys.keyId(fromPem)).hasSize(16).isEqualTo(CheckpointKeys.keyId(pair.getPublic()));
        byte[] seed = CheckpointKeys.seed(pair.getPrivate());
        assertThat(CheckpointKeys.privateKeyFromSeed(seed).getEncoded()).isEqualTo(pair.getPrivate().getEncoded());
        assertThat(CheckpointKeys.publicKeyFromRaw(CheckpointKeys.raw(pair.getPublic())).getEncoded()).isEqualTo(pair.getPublic().getEncoded());
        assertThatThrownBy(() -> CheckpointKeys.publicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))
                .hasMessageContaining("not an Ed25519 public key");
    }
}
