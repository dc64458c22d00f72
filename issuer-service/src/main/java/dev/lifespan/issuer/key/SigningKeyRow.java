package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsAlgorithm;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A row of {@code signing_key}, as a rotation reads and changes it. The private part is AES-GCM sealed under the master
 * key, bound to the kid.
 */
public class SigningKeyRow {
    /** Every column, in the order {@link #from(Row)} reads them and {@link SigningKeyStore} inserts them. */
    static final String COLUMNS = "kid, algorithm, public_jwk, private_key_sealed, created_at, activates_at, retires_at, expires_at,"
            + " compromised_at, compromise_reason";

    public String kid;
    public String algorithm;
    /** Public JWK members (JSON object without kid, alg, use). */
    public String publicJwk;
    public byte[] privateKeySealed;
    public Instant createdAt;
    /** NEXT before this, ACTIVE from it. */
    public Instant activatesAt;
    /** Stops signing (its successor activates). */
    public Instant retiresAt;
    /** Leaves JWKS: retirement plus the longest token lifetime and skew. */
    public Instant expiresAt;
    public Instant compromisedAt;
    public String compromiseReason;

    /** A row of {@link #COLUMNS}. */
    static SigningKeyRow from(Row row) {
        SigningKeyRow key = new SigningKeyRow();
        key.kid = row.getString(0);
        key.algorithm = row.getString(1);
        key.publicJwk = row.getString(2);
        key.privateKeySealed = row.getBuffer(3).getBytes();
        key.createdAt = instant(row.getOffsetDateTime(4));
        key.activatesAt = instant(row.getOffsetDateTime(5));
        key.retiresAt = instant(row.getOffsetDateTime(6));
        key.expiresAt = instant(row.getOffsetDateTime(7));
        key.compromisedAt = instant(row.getOffsetDateTime(8));
        key.compromiseReason = row.getString(9);
        return key;
    }

    private static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }

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
