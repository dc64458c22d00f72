package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.KeyState;
import dev.lifespan.issuer.crypto.JwsSigner;
import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.run.Coalesced;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.jose.Base64Url;
import dev.lifespan.validator.jose.JwsVerifier;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * This replica's in-memory copy of the signing keys: which key signs now, and the JWKS. Reloaded
 * from PostgreSQL on a short interval, after every local rotation, and as soon as this replica's revocation feed
 * brings a KEY rule ({@link #reloadSoon}: another replica's emergency rotation); private parts are decrypted
 * once per key, and only for keys that can still sign.
 */
@Singleton
public class SigningKeyRing {
    private static final Logger LOG = Logger.getLogger(SigningKeyRing.class);

    private final SigningKeyStore store;
    private final MasterKey masterKey;
    private final InstantSource clock;
    private volatile List<LoadedKey> keys = List.of();
    /** When the key rows were last read; null before the first read. */
    private volatile Instant loadedAt;
    /** Reloads asked for by {@link #reloadSoon}: one at a time, once more when asked meanwhile. */
    private final Coalesced reloads = new Coalesced(this::reload);

    public SigningKeyRing(SigningKeyStore store, MasterKey masterKey, InstantSource clock) {
        this.store = store;
        this.masterKey = masterKey;
        this.clock = clock;
    }

    /** Re-reads the key rows. */
    public Uni<Void> reload() {
        return store.loadAll().invoke(this::replace).replaceWithVoid();
    }

    /**
     * Reloads without waiting for it: one at a time, and once more after it when asked again meanwhile, so a burst of
     * asks (a snapshot's KEY rules) costs at most two reads and none is missed. A failed reload is logged; the scheduled
     * reload comes next.
     */
    public void reloadSoon() {
        reloads.request().subscribe().with(ignored -> { },
                failure -> LOG.warnf("Signing key reload after a KEY rule failed: %s", failure.getMessage()));
    }

    private void replace(List<SigningKeyRow> rows) {
        Map<String, LoadedKey> previous = new HashMap<>();
        keys.forEach(k -> previous.put(k.kid(), k));
        Instant now = Clocks.now(clock);
        this.loadedAt = now;
        this.keys = rows.stream().map(row -> {
            KeyTimes times = row.times();
            LoadedKey old = previous.get(row.kid);
            KeyState state = KeySchedule.state(times, now);
            boolean canSign = state == KeyState.KEY_STATE_NEXT || state == KeyState.KEY_STATE_ACTIVE;
            JwsSigner signer = !canSign ? null
                    : old != null && old.signer() != null ? old.signer()
                    : times.algorithm().signer(masterKey.decrypt(row.privateKeySealed, row.kid));
            Map<String, Object> jwk = row.publishedJwk();
            String header = Base64Url.encode(new JsonObject().put("alg", row.algorithm).put("kid", row.kid).put("typ", "at+jwt")
                    .encode().getBytes(StandardCharsets.UTF_8));
            JwsVerifier verifier = old != null ? old.verifier() : JwsVerifier.of(times.algorithm().joseName(), jwk);
            return new LoadedKey(times, jwk, signer, header, verifier);
        }).toList();
    }

    /** The key that signs at {@code now}, or UNAVAILABLE if there is none. */
    public LoadedKey signingKey(Instant now) {
        List<LoadedKey> snapshot = keys;
        Optional<KeyTimes> active = KeySchedule.signingKey(snapshot.stream().map(LoadedKey::times).toList(), now);
        return active.flatMap(t -> snapshot.stream().filter(k -> k.kid().equals(t.kid())).findFirst())
                .filter(k -> k.signer() != null)
                .orElseThrow(() -> new ServiceException(ErrorKind.UNAVAILABLE, "no active signing key"));
    }

    /** Whether some key can sign now (readiness). */
    public boolean hasSigningKey(Instant now) {
        try {
            signingKey(now);
            return true;
        } catch (ServiceException e) {
            return false;
        }
    }

    /** Keys in JWKS at {@code now}: NEXT, ACTIVE and RETIRED, never COMPROMISED or expired. */
    public List<LoadedKey> published(Instant now) {
        return keys.stream().filter(k -> KeySchedule.published(k.times(), now)).toList();
    }

    /** A published key by kid, for checking tokens this issuer signed. */
    public Optional<LoadedKey> publishedKey(String kid, Instant now) {
        return keys.stream().filter(k -> k.kid().equals(kid) && KeySchedule.published(k.times(), now)).findFirst();
    }

    /** When this replica last read the key rows; empty before the first read. */
    public Optional<Instant> loadedAt() {
        return Optional.ofNullable(loadedAt);
    }

    /** Every key this replica knows, in activation order. */
    public List<LoadedKey> all() {
        return keys;
    }

    /** The JWK Set document (RFC 7517). */
    public String jwksJson(Instant now) {
        JsonArray array = new JsonArray();
        published(now).forEach(k -> array.add(new JsonObject(new LinkedHashMap<>(k.publicJwk()))));
        return new JsonObject().put("keys", array).encode();
    }
}
