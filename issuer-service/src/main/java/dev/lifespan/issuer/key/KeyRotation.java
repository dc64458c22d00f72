package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.NoSuchElementException;

/**
 * Operator key rotation ({@code RotateSigningKey}): normal (the standby signs once published long enough) or
 * emergency (a key marked compromised leaves JWKS at once, its tokens are revoked everywhere, the standby signs).
 */
@Singleton
public class KeyRotation {
    private final SigningKeyRotator rotator;
    private final PendingRevocations revocations;
    private final InstantSource clock;

    public KeyRotation(SigningKeyRotator rotator, PendingRevocations revocations, InstantSource clock) {
        this.rotator = rotator;
        this.revocations = revocations;
        this.clock = clock;
    }

    /** An operator's request, as received (raw, unchecked input). */
    public record Command(boolean emergency, String keyId, String algorithm, String reason) {
    }

    /** What a rotation did: the key that signs (or will), and the compromised key of an emergency, else null. */
    public record Rotated(KeyDescription newKey, KeyDescription compromised) {
    }

    public Uni<Rotated> rotate(Command command) {
        String kid = Inputs.optional("key_id", command.keyId(), Inputs.SHORT);
        String reason = Inputs.optional("reason", command.reason(), Inputs.REASON);
        String algorithmName = Inputs.optional("algorithm", command.algorithm(), Inputs.SHORT);
        JwsAlgorithm algorithm = algorithmName == null ? null : JwsAlgorithm.fromJoseName(algorithmName)
                .orElseThrow(() -> ServiceException.invalidField("algorithm", "must be one of " + JwsAlgorithm.joseNames()));
        if (kid != null && !command.emergency()) {
            throw ServiceException.invalidField("key_id", "may only be given for an emergency rotation");
        }
        return rotator.rotateNow(command.emergency(), kid, algorithm,
                        reason == null ? (command.emergency() ? "emergency rotation" : "operator rotation") : reason)
                .onFailure(NoSuchElementException.class).transform(e -> new ServiceException(ErrorKind.NOT_FOUND, e.getMessage()))
                .invoke(outcome -> {
                    if (outcome.compromised() != null) {
                        revocations.announce();
                    }
                })
                .map(outcome -> {
                    Instant now = Clocks.now(clock);
                    return new Rotated(KeyDescription.of(outcome.created().times(), outcome.created().publishedJwk(), now),
                            outcome.compromised() == null ? null
                                    : KeyDescription.of(outcome.compromised().times(), outcome.compromised().publishedJwk(), now));
                });
    }
}
