package dev.lifespan.audit.checkpoint;

import com.google.crypto.tink.subtle.Ed25519Sign;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.verifier.Checkpoint;
import dev.lifespan.audit.verifier.CheckpointKeys;
import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Startup;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The audit service's own Ed25519 checkpoint key, and the public keys checkpoints are verified with (this key first,
 * then earlier ones from configuration, so checkpoints signed before a key change still verify).
 *
 * <p>The key comes from {@code lifespan.audit.checkpoint.signing-key} (a Kubernetes Secret). Without one, dev and test
 * generate an ephemeral key and warn loudly: its checkpoints cannot be verified after a restart. In production start-up
 * is refused ({@link dev.lifespan.audit.config.ConfigurationCheck}).
 */
@Startup
@Singleton
public class CheckpointSigner {
    private static final Logger LOG = Logger.getLogger(CheckpointSigner.class);

    /** Tink's Ed25519, several times faster than JDK 17's; the signature is the same RFC 8032 one either way. */
    private final Ed25519Sign tink;
    private final PublicKey publicKey;
    private final String keyId;
    private final boolean ephemeral;
    private final Map<String, PublicKey> trusted;

    public CheckpointSigner(AuditConfig config) {
        Optional<String> configured = config.checkpoint().signingKey().filter(k -> !k.isBlank());
        byte[] seed;
        if (configured.isPresent()) {
            seed = CheckpointKeys.seed(CheckpointKeys.privateKey(configured.get()));
            ephemeral = false;
        } else if (LaunchMode.current().isDevOrTest()) {
            try {
                seed = Ed25519Sign.KeyPair.newKeyPair().getPrivateKey();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            ephemeral = true;
        } else {
            throw new IllegalStateException("lifespan.audit.checkpoint.signing-key (LIFESPAN_AUDIT_SIGNING_KEY) is not set: the audit service"
                    + " signs checkpoints with its own Ed25519 key; create one with 'openssl genpkey -algorithm ed25519' and mount it from a Secret");
        }
        try {
            tink = new Ed25519Sign(seed);
            publicKey = CheckpointKeys.publicKeyFromRaw(Ed25519Sign.KeyPair.newKeyPairFromSeed(seed).getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 key: " + e.getMessage(), e);
        }
        keyId = CheckpointKeys.keyId(publicKey);
        Map<String, PublicKey> keys = new LinkedHashMap<>();
        keys.put(keyId, publicKey);
        for (String pem : config.checkpoint().previousPublicKeys().orElse(List.of())) {
            PublicKey previous = CheckpointKeys.publicKey(pem);
            keys.putIfAbsent(CheckpointKeys.keyId(previous), previous);
        }
        trusted = Map.copyOf(keys);
        // A signature this JVM cannot verify with its own key would make every checkpoint worthless: find out now.
        Checkpoint probe = sign(1, "0".repeat(64), Instant.now());
        if (!probe.verify(publicKey)) {
            throw new IllegalStateException("the checkpoint signing key does not verify its own signature");
        }
        if (ephemeral) {
            LOG.warn("==========================================================================================\n"
                    + "  NO CHECKPOINT SIGNING KEY CONFIGURED (lifespan.audit.checkpoint.signing-key).\n"
                    + "  Using an EPHEMERAL Ed25519 key " + keyId + " for this " + LaunchMode.current() + " run only:\n"
                    + "  checkpoints signed now cannot be verified against the key of any later run.\n"
                    + "  Never run like this in production (start-up is refused there).\n"
                    + "==========================================================================================");
        } else {
            LOG.infof("Checkpoints are signed with Ed25519 key %s", keyId);
        }
    }

    /** Signs a checkpoint of the event at {@code sequence} with hash {@code hash}. */
    public Checkpoint sign(long sequence, String hash, Instant now) {
        return Checkpoint.sign(sequence, hash, now, keyId, tink::sign);
    }

    public String keyId() {
        return keyId;
    }

    public boolean ephemeral() {
        return ephemeral;
    }

    /** True when the checkpoint was signed by a trusted key and its signature verifies. */
    public boolean verify(Checkpoint checkpoint) {
        PublicKey key = trusted.get(checkpoint.keyId());
        return key != null && checkpoint.verify(key);
    }

    /** Public keys as PEM, the signing key's first. */
    public List<String> publicKeysPem() {
        List<String> pems = new ArrayList<>();
        pems.add(CheckpointKeys.pem(publicKey));
        trusted.forEach((id, key) -> {
            if (!id.equals(keyId)) {
                pems.add(CheckpointKeys.pem(key));
            }
        });
        return pems;
    }

    /** The signing key's public half as PEM. */
    public String publicKeyPem() {
        return CheckpointKeys.pem(publicKey);
    }
}
