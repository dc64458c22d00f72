package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.GetJwksResponse;
import dev.lifespan.api.v1.RotateSigningKeyRequest;
import dev.lifespan.api.v1.RotateSigningKeyResponse;
import dev.lifespan.api.v1.SigningKey;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;

import static dev.lifespan.support.input.ProtoTime.timestamp;

/** The public side of the signing keys (JWKS with states) and operator rotation. */
@Singleton
public class JwksService {
    private final SigningKeyRing ring;
    private final SigningKeyRotator rotator;
    private final InstantSource clock;
    private final LifespanConfig config;
    private final dev.lifespan.issuer.revocation.RevocationRelay relay;

    public JwksService(SigningKeyRing ring, SigningKeyRotator rotator, InstantSource clock, LifespanConfig config,
            dev.lifespan.issuer.revocation.RevocationRelay relay) {
        this.relay = relay;
        this.ring = ring;
        this.rotator = rotator;
        this.clock = clock;
        this.config = config;
    }

    /** Cache lifetime of the JWKS: shorter than the pre-publication lead (checked at start-up). */
    public long maxAgeSeconds() {
        return config.keys().jwksMaxAge().toSeconds();
    }

    public GetJwksResponse getJwks() {
        Instant now = Clocks.now(clock);
        GetJwksResponse.Builder response = GetJwksResponse.newBuilder()
                .setJwksJson(ring.jwksJson(now))
                .setMaxAgeSeconds(maxAgeSeconds());
        ring.published(now).forEach(k -> response.addKeys(describe(k.times(), k.publicJwk(), now)));
        return response.build();
    }

    public Uni<RotateSigningKeyResponse> rotate(RotateSigningKeyRequest request) {
        String kid = Inputs.optional("key_id", request.getKeyId(), Inputs.SHORT);
        String reason = Inputs.optional("reason", request.getReason(), Inputs.REASON);
        String algorithmName = Inputs.optional("algorithm", request.getAlgorithm(), Inputs.SHORT);
        JwsAlgorithm algorithm = algorithmName == null ? null : JwsAlgorithm.fromJoseName(algorithmName)
                .orElseThrow(() -> ServiceException.invalidField("algorithm", "must be one of " + JwsAlgorithm.joseNames()));
        if (kid != null && !request.getEmergency()) {
            throw ServiceException.invalidField("key_id", "may only be given for an emergency rotation");
        }
        return rotator.rotateNow(request.getEmergency(), kid, algorithm,
                        reason == null ? (request.getEmergency() ? "emergency rotation" : "operator rotation") : reason)
                .onFailure(NoSuchElementException.class).transform(e -> new ServiceException(ErrorKind.NOT_FOUND, e.getMessage()))
                .invoke(outcome -> {
                    if (outcome.compromised() != null) {
                        relay.nudge();
                    }
                })
                .map(outcome -> {
                    Instant now = Clocks.now(clock);
                    RotateSigningKeyResponse.Builder response = RotateSigningKeyResponse.newBuilder()
                            .setNewKey(describe(outcome.created().times(), jwk(outcome.created()), now));
                    if (outcome.compromised() != null) {
                        response.setCompromisedKey(describe(outcome.compromised().times(), jwk(outcome.compromised()), now));
                    }
                    return response.build();
                });
    }

    private static java.util.Map<String, Object> jwk(SigningKeyEntity key) {
        java.util.Map<String, Object> jwk = new LinkedHashMap<>(new JsonObject(key.publicJwk).getMap());
        jwk.put("kid", key.kid);
        jwk.put("alg", key.algorithm);
        jwk.put("use", "sig");
        return jwk;
    }

    private static SigningKey describe(KeyTimes times, java.util.Map<String, Object> jwk, Instant now) {
        SigningKey.Builder key = SigningKey.newBuilder()
                .setKeyId(times.kid())
                .setAlgorithm(times.algorithm().joseName())
                .setState(KeySchedule.state(times, now))
                .setActivatesAt(timestamp(times.activatesAt()))
                .setPublicJwkJson(new JsonObject(new LinkedHashMap<>(jwk)).encode());
        if (times.retiresAt() != null) {
            key.setRetiresAt(timestamp(times.retiresAt()));
        }
        if (times.expiresAt() != null) {
            key.setExpiresAt(timestamp(times.expiresAt()));
        }
        return key.build();
    }
}
