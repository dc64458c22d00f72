package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.audit.AuditOutbox;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;
import org.hibernate.reactive.mutiny.Mutiny;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Signing keys in PostgreSQL through Hibernate Reactive. Every change happens in a transaction
 * holding one PostgreSQL advisory lock, so of several issuer replicas exactly one rotates at a
 * time and the others see its result; who signs is then derived from the rows and the clock
 * ({@link KeySchedule}), identically on every replica.
 */
@Singleton
public class SigningKeyStore {
    /** Queues the KEY rule of a compromised key for the revocation service, in the rotation's transaction. */
    private static final String QUEUE_KEY = PendingRevocations.insert(PendingRevocations.kind(PendingRevocations.Kind.KEY), ":kid",
            ":reason", "NULL", ":at", null, null);

    /** Advisory lock id guarding key rotation ("LIFESPAN" in ASCII, truncated). */
    static final long ROTATION_LOCK = 0x4C49464553504EL;

    private final Mutiny.SessionFactory sessions;
    private final MasterKey masterKey;

    public SigningKeyStore(Mutiny.SessionFactory sessions, MasterKey masterKey) {
        this.sessions = sessions;
        this.masterKey = masterKey;
    }

    public Uni<List<SigningKeyEntity>> loadAll() {
        return sessions.withStatelessSession(s -> s.createQuery("from SigningKeyEntity order by activatesAt", SigningKeyEntity.class)
                .getResultList());
    }

    /** What a rotation did. */
    public record Outcome(SigningKeyEntity created, SigningKeyEntity compromised, int deleted) {
        public boolean changed() {
            return created != null || compromised != null || deleted > 0;
        }
    }

    /**
     * The scheduled check: if no replica holds the lock, creates the next key when one is due
     * (or an active key when none signs) and deletes keys that have left JWKS for good.
     *
     * @param generated a freshly generated key, used only if a key is due (generated off the event loop)
     */
    public Uni<Outcome> rotateIfDue(Instant now, RotationSettings settings, JwsAlgorithm.GeneratedKey generated) {
        return sessions.withTransaction((s, tx) -> s.createNativeQuery("SELECT pg_try_advisory_xact_lock(" + ROTATION_LOCK + ")",
                        Boolean.class).getSingleResult()
                .chain(locked -> !locked ? Uni.createFrom().item(new Outcome(null, null, 0))
                        : keys(s).chain(keys -> {
                            List<KeyTimes> times = keys.stream().map(SigningKeyEntity::times).toList();
                            Optional<Instant> due = KeySchedule.dueActivation(times, now, settings.interval(), settings.lead());
                            List<KeyTimes> gone = KeySchedule.gone(times, now);
                            Uni<SigningKeyEntity> created = due.isEmpty() ? Uni.createFrom().nullItem()
                                    : schedule(s, keys, generated, now, due.get(), settings.retention(), "scheduled rotation");
                            return created.chain(c -> deleteGone(s, gone).map(n -> new Outcome(c, null, n)));
                        })));
    }

    /**
     * Operator rotation. Normal: the standby key (published, waiting) signs as soon as it has been published for
     * the pre-publication lead, or a new key is published now and signs after the lead when there is none.
     * Emergency: mark {@code compromisedKid} (default: the signing key) compromised, so it leaves JWKS at once,
     * and make the standby key sign at once: validating nodes have had it since it was published, so tokens it
     * signs are accepted everywhere immediately and nothing waits for a JWKS refetch. Only without a standby does
     * a brand-new key sign at once.
     */
    public Uni<Outcome> rotateNow(Instant now, RotationSettings settings, JwsAlgorithm.GeneratedKey generated, boolean emergency,
            String compromisedKid, String reason) {
        return sessions.withTransaction((s, tx) -> s.createNativeQuery("SELECT pg_advisory_xact_lock(" + ROTATION_LOCK + ")")
                .executeUpdate()
                .chain(ignored -> keys(s))
                .chain(keys -> {
                    List<KeyTimes> times = keys.stream().map(SigningKeyEntity::times).toList();
                    if (!emergency) {
                        Optional<KeyTimes> waiting = KeySchedule.nextKey(times, now);
                        if (waiting.isPresent()) {
                            SigningKeyEntity standby = keys.stream().filter(k -> k.kid.equals(waiting.get().kid())).findFirst().orElseThrow();
                            Instant earliest = KeySchedule.earliestActivation(standby.createdAt, now, settings.lead());
                            if (!earliest.isBefore(standby.activatesAt)) {
                                return Uni.createFrom().item(new Outcome(standby, null, 0));
                            }
                            activate(keys, standby, earliest, settings.retention());
                            return outbox(s, EventType.KEY_ROTATED, now, standby.kid, reason).replaceWith(new Outcome(standby, null, 0));
                        }
                        return schedule(s, keys, generated, now, now.plus(settings.lead()), settings.retention(), reason)
                                .map(c -> new Outcome(c, null, 0));
                    }
                    String target = compromisedKid != null && !compromisedKid.isEmpty() ? compromisedKid
                            : KeySchedule.signingKey(times, now).map(KeyTimes::kid).orElse(null);
                    SigningKeyEntity victim = keys.stream().filter(k -> k.kid.equals(target) && k.compromisedAt == null)
                            .findFirst().orElse(null);
                    if (victim == null) {
                        return Uni.createFrom().failure(new NoSuchElementException(
                                "no usable signing key " + (target == null ? "" : target)));
                    }
                    victim.compromisedAt = now;
                    victim.compromiseReason = reason;
                    if (victim.retiresAt == null || victim.retiresAt.isAfter(now)) {
                        victim.retiresAt = now;
                    }
                    victim.expiresAt = now.plus(settings.retention());
                    List<SigningKeyEntity> others = keys.stream().filter(k -> k != victim).toList();
                    Optional<SigningKeyEntity> standby = others.stream().filter(k -> k.compromisedAt == null && k.activatesAt.isAfter(now))
                            .min(Comparator.comparing(k -> k.activatesAt));
                    Uni<SigningKeyEntity> signer = standby.isPresent()
                            ? Uni.createFrom().item(activate(others, standby.get(), now, settings.retention()))
                                    .call(promoted -> outbox(s, EventType.KEY_ROTATED, now, promoted.kid, "emergency rotation"))
                            : schedule(s, others, generated, now, now, settings.retention(), "emergency rotation");
                    return outbox(s, EventType.KEY_COMPROMISED, now, victim.kid, reason)
                            .chain(() -> s.createNativeQuery(QUEUE_KEY)
                                    .setParameter("kid", victim.kid).setParameter("reason", reason).setParameter("at", utc(now))
                                    .executeUpdate())
                            .chain(() -> signer)
                            .map(c -> new Outcome(c, victim, 0));
                }));
    }

    /** Makes a published key sign from {@code at}; the key(s) signing then retire at that moment. */
    private static SigningKeyEntity activate(List<SigningKeyEntity> keys, SigningKeyEntity key, Instant at, Duration retention) {
        for (SigningKeyEntity other : keys) {
            boolean stillSigningThen = other != key && other.compromisedAt == null && !other.activatesAt.isAfter(at)
                    && (other.retiresAt == null || other.retiresAt.isAfter(at));
            if (stillSigningThen) {
                other.retiresAt = at;
                other.expiresAt = at.plus(retention);
            }
        }
        key.activatesAt = at;
        return key;
    }

    private Uni<List<SigningKeyEntity>> keys(Mutiny.Session s) {
        return s.createQuery("from SigningKeyEntity order by activatesAt", SigningKeyEntity.class).getResultList();
    }

    /**
     * Persists a new key activating at {@code activatesAt} and gives the key it supersedes its
     * retirement: it stops signing then and leaves JWKS after the longest token lifetime and skew.
     */
    private Uni<SigningKeyEntity> schedule(Mutiny.Session s, List<SigningKeyEntity> existing, JwsAlgorithm.GeneratedKey generated,
            Instant now, Instant activatesAt, Duration retention, String reason) {
        SigningKeyEntity key = new SigningKeyEntity();
        key.kid = KeyIds.thumbprint(generated.publicJwk());
        key.algorithm = generated.algorithm().joseName();
        key.publicJwk = new JsonObject(new LinkedHashMap<>(generated.publicJwk())).encode();
        key.privateKeySealed = masterKey.encrypt(generated.privatePart(), key.kid);
        key.createdAt = now;
        key.activatesAt = activatesAt;
        activate(existing, key, activatesAt, retention);
        // A NEXT key already waiting to activate after this one bounds this one's signing time.
        existing.stream()
                .filter(o -> o.compromisedAt == null && o.activatesAt.isAfter(activatesAt))
                .map(o -> o.activatesAt)
                .min(Instant::compareTo)
                .ifPresent(next -> {
                    key.retiresAt = next;
                    key.expiresAt = next.plus(retention);
                });
        return s.persist(key)
                .chain(() -> outbox(s, EventType.KEY_ROTATED, now, key.kid, reason))
                .replaceWith(key);
    }

    private Uni<Integer> deleteGone(Mutiny.Session s, List<KeyTimes> gone) {
        if (gone.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return s.createMutationQuery("delete from SigningKeyEntity where kid in (:kids)")
                .setParameter("kids", gone.stream().map(KeyTimes::kid).toList())
                .executeUpdate();
    }

    private Uni<Void> outbox(Mutiny.Session s, EventType type, Instant now, String kid, String reason) {
        // Each value bound as text: a string bound where PostgreSQL expects jsonb is stored as a JSON string, not an object.
        return s.createNativeQuery(AuditOutbox.event(type).at(":at")
                        .attributes("jsonb_build_object('kid', CAST(:kid AS text), 'reason', CAST(:reason AS text))").insert())
                .setParameter("at", utc(now))
                .setParameter("kid", kid)
                .setParameter("reason", reason)
                .executeUpdate()
                .replaceWithVoid();
    }

    /** Rotation timing. {@code retention}: how long a retired key stays in JWKS. */
    public record RotationSettings(Duration interval, Duration lead, Duration retention) {
    }
}
