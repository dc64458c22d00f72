package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsAlgorithm;
import io.vertx.core.json.JsonObject;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** A signing key row. The private part is AES-GCM sealed under the master key, bound to the kid. */
@Entity
@Table(name = "signing_key")
public class SigningKeyEntity {
    @Id
    @Column(name = "kid")
    public String kid;

    @Column(name = "algorithm", nullable = false)
    public String algorithm;

    /** Public JWK members (JSON object without kid, alg, use). */
    @Column(name = "public_jwk", nullable = false)
    public String publicJwk;

    @Column(name = "private_key_sealed", nullable = false)
    public byte[] privateKeySealed;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "activates_at", nullable = false)
    public Instant activatesAt;

    @Column(name = "retires_at")
    public Instant retiresAt;

    @Column(name = "expires_at")
    public Instant expiresAt;

    @Column(name = "compromised_at")
    public Instant compromisedAt;

    @Column(name = "compromise_reason")
    public String compromiseReason;

    /** The public JWK as JWKS publishes it: the stored members plus {@code kid}, {@code alg} and {@code use}. */
    public Map<String, Object> publishedJwk() {
        Map<String, Object> jwk = new LinkedHashMap<>(new JsonObject(publicJwk).getMap());
        jwk.put("kid", kid);
        jwk.put("alg", algorithm);
        jwk.put("use", "sig");
        return Map.copyOf(jwk);
    }

    public KeyTimes times() {
        return new KeyTimes(kid, JwsAlgorithm.fromJoseName(algorithm).orElseThrow(), activatesAt, retiresAt, expiresAt, compromisedAt);
    }
}
