package dev.lifespan.issuer.key;

import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.NoSuchElementException;

/**
 * Operator key rotation ({@code RotateSigningKey}): normal (the standby signs once published long enough) or
 * emergency (a key marked compromised leaves JWKS at once, its tokens are revoked everywhere, the standby signs).
 */
@Singleton
public class KeyRotation {
    private static final Logger LOG = Logger.getLogger(KeyRotation.class);

    private final SigningKeyRotator rotator;
    private final SigningKeyRing ring;
    private final PendingRevocations revocations;
    private final InstantSource clock;

    public KeyRotation(SigningKeyRotator rotator, SigningKeyRing ring, PendingRevocations revocations, InstantSource clock) {
        this.rotator = rotator;
        this.ring = ring;
        this.revocations = revocations;
        this.clock = clock;
    }

    /** An operator's request, as received (raw, unchecked input). */
    public record Command(boolean emergency, String keyId, String algorithm, String reason) {
    }

    /** What a rotation did: the key that signs (or will), and the compromised key of an emergency, else null. */
    public record Rotated(KeyDescription newKey, KeyDescription compromised) {
    }

    /**
     * A KEY rule has reached this replica's revocation feed.
     * <ul>
     *   <li>Another replica's emergency rotation made it: this replica's key ring reloads at once, so it stops signing
     *       with, and publishing, the compromised key (the scheduled reload would take up to
     *       {@code lifespan.keys.reload-interval}).</li>
     *   <li>An operator made it at the revocation service, on the key this replica signs with: every token signed from
     *       then on would be born revoked, so the key is rotated away as an emergency rotation does it (marked
     *       compromised, the standby signs, audited as {@code KEY_COMPROMISED}). Replicas race for it under the rotation
     *       lock; the others find the key already compromised and then reload.</li>
     * </ul>
     * Never fails: a rotation that cannot be made now (PostgreSQL away) is logged for an operator to repeat.
     */
    public void keyRuleApplied(String kid, String ruleReason) {
        Instant now = Clocks.now(clock);
        if (!ring.hasSigningKey(now) || !ring.signingKey(now).kid().equals(kid)) {
            ring.reloadSoon();
            return;
        }
        String reason = "revoked by a KEY rule at the revocation service" + (ruleReason == null || ruleReason.isEmpty() ? "" : ": " + ruleReason);
        rotator.rotateNow(true, kid, null, Inputs.reason(reason))
                .invoke(outcome -> revocations.announce())
                .subscribe().with(
                        outcome -> LOG.warnf("Signing key %s was revoked at the revocation service; rotated away as in an emergency, %s signs"
                                + " from now", kid, outcome.created().kid),
                        failure -> {
                            if (failure instanceof NoSuchElementException) {
                                // Another replica rotated it, and committed before this attempt took the lock: reload now.
                                LOG.debugf("Signing key %s was rotated away already (another replica's rotation)", kid);
                                ring.reloadSoon();
                            } else {
                                LOG.errorf("Signing key %s was revoked at the revocation service but could not be rotated away (%s):"
                                        + " tokens signed with it are rejected everywhere; run an emergency rotation (RotateSigningKey)",
                                        kid, failure.getMessage());
                            }
                        });
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
