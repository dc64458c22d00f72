package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.crypto.JwsAlgorithm;
import dev.lifespan.issuer.crypto.MasterKey;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.audit.AuditOutbox;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.Statements;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Signing keys in PostgreSQL. Every change happens in a transaction holding one PostgreSQL advisory lock, so of
 * several issuer replicas exactly one rotates at a time and the others see its result; who signs is then derived from
 * the rows and the clock ({@link KeySchedule}), identically on every replica. A rotation reads the rows, changes them
 * in memory ({@link #activate}) and writes back the rows it changed before it commits.
 *
 * <p>Statements are bounded as every other statement of the issuer ({@link BoundedPostgres}): after a failover a
 * rotation or reload that met a connection that died is given up within the deadline, and the next check runs on a
 * new connection, instead of waiting until the kernel gives up on the old one while its schedule skips every run.
 */
@Singleton
public class SigningKeyStore {
    /** Queues the KEY rule of a compromised key for the revocation service, in the rotation's transaction. */
    private static final String QUEUE_KEY = PendingRevocations.insert(PendingRevocations.kind(PendingRevocations.Kind.KEY), "$1",
            "$2", "NULL", "$3", null, null);

    /** Advisory lock id guarding key rotation ("LIFESPAN" in ASCII, truncated). */
    static final long ROTATION_LOCK = 0x4C49464553504EL;

    private static final String SELECT_ALL = "SELECT " + SigningKeyRow.COLUMNS + " FROM signing_key ORDER BY activates_at";
    private static final String INSERT = "INSERT INTO signing_key (" + SigningKeyRow.COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    private static final String UPDATE = "UPDATE signing_key SET activates_at = $2, retires_at = $3, expires_at = $4, compromised_at = $5,"
            + " compromise_reason = $6 WHERE kid = $1";

    private final BoundedPostgres postgres;
    private final MasterKey masterKey;

    public SigningKeyStore(BoundedPostgres postgres, MasterKey masterKey) {
        this.postgres = postgres;
        this.masterKey = masterKey;
    }

    public Uni<List<SigningKeyRow>> loadAll() {
        return keys(postgres);
    }

    /** What a rotation did. */
    public record Outcome(SigningKeyRow created, SigningKeyRow compromised, int deleted) {
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
        return postgres.inTransactionAround(s -> s.command("SELECT pg_try_advisory_xact_lock(" + ROTATION_LOCK + ") AS locked")
                .chain(locked -> !locked.iterator().next().getBoolean("locked") ? Uni.createFrom().item(new Outcome(null, null, 0))
                        : keys(s).chain(keys -> {
                            List<KeyTimes> times = keys.stream().map(SigningKeyRow::times).toList();
                            Optional<Instant> due = KeySchedule.dueActivation(times, now, settings.interval(), settings.lead());
                            List<KeyTimes> gone = KeySchedule.gone(times, now);
                            Uni<SigningKeyRow> created = due.isEmpty() ? Uni.createFrom().nullItem()
                                    : schedule(s, keys, generated, now, due.get(), settings.retention(), "scheduled rotation");
                            return created.call(() -> update(s, keys, times))
                                    .chain(c -> deleteGone(s, gone).map(n -> new Outcome(c, null, n)));
                        })));
    }

    /**
     * Operator rotation. Normal: the standby key (published, waiting) signs as soon as it has been published for
     * the pre-publication lead, or a new key is published now and signs after the lead when there is none.
     * Emergency: mark {@code compromisedKid} (default: the signing key) compromised, so it leaves JWKS at once,
     * and make the standby key sign at once: validating nodes have had it since it was published, so tokens it
     * signs are accepted everywhere immediately and nothing waits for a JWKS refetch. Only without a standby does
     * a brand-new key sign at once.
     *
     * <p>{@code requested}, the algorithm the operator asked for (null: any), rules out a standby of another algorithm:
     * then {@code generated}, which is of that algorithm, is published instead (signing after the lead, or at once in an
     * emergency) and the standby keeps its later turn.
     */
    public Uni<Outcome> rotateNow(Instant now, RotationSettings settings, JwsAlgorithm.GeneratedKey generated, JwsAlgorithm requested,
            boolean emergency, String compromisedKid, String reason) {
        return postgres.inTransactionAround(s -> s.command("SELECT pg_advisory_xact_lock(" + ROTATION_LOCK + ")")
                .chain(ignored -> keys(s))
                .chain(keys -> {
                    List<KeyTimes> times = keys.stream().map(SigningKeyRow::times).toList();
                    if (!emergency) {
                        Optional<SigningKeyRow> waiting = KeySchedule.nextKey(times, now)
                                .flatMap(next -> keys.stream().filter(k -> k.kid.equals(next.kid())).findFirst())
                                .filter(k -> serves(k, requested));
                        if (waiting.isPresent()) {
                            SigningKeyRow standby = waiting.get();
                            Instant earliest = KeySchedule.earliestActivation(standby.createdAt, now, settings.lead());
                            if (!earliest.isBefore(standby.activatesAt)) {
                                return Uni.createFrom().item(new Outcome(standby, null, 0));
                            }
                            activate(keys, standby, earliest, settings.retention());
                            return update(s, keys, times).chain(() -> outbox(s, EventType.KEY_ROTATED, now, standby.kid, reason))
                                    .replaceWith(new Outcome(standby, null, 0));
                        }
                        return schedule(s, keys, generated, now, now.plus(settings.lead()), settings.retention(), reason)
                                .call(() -> update(s, keys, times)).map(c -> new Outcome(c, null, 0));
                    }
                    String target = compromisedKid != null && !compromisedKid.isEmpty() ? compromisedKid
                            : KeySchedule.signingKey(times, now).map(KeyTimes::kid).orElse(null);
                    SigningKeyRow victim = keys.stream().filter(k -> k.kid.equals(target) && k.compromisedAt == null)
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
                    List<SigningKeyRow> others = keys.stream().filter(k -> k != victim).toList();
                    Optional<SigningKeyRow> standby = others.stream().filter(k -> k.compromisedAt == null && k.activatesAt.isAfter(now))
                            .min(Comparator.comparing(k -> k.activatesAt)).filter(k -> serves(k, requested));
                    Uni<SigningKeyRow> signer = standby.isPresent()
                            ? Uni.createFrom().item(activate(others, standby.get(), now, settings.retention()))
                                    .call(promoted -> outbox(s, EventType.KEY_ROTATED, now, promoted.kid, "emergency rotation"))
                            : schedule(s, others, generated, now, now, settings.retention(), "emergency rotation");
                    return outbox(s, EventType.KEY_COMPROMISED, now, victim.kid, reason)
                            .chain(() -> s.execute(QUEUE_KEY, Tuple.of(victim.kid, reason, utc(now))))
                            .chain(() -> signer)
                            .call(() -> update(s, keys, times))
                            .map(c -> new Outcome(c, victim, 0));
                }));
    }

    /** Whether a published key can sign for a rotation that asked for {@code requested} (null: any algorithm). */
    private static boolean serves(SigningKeyRow key, JwsAlgorithm requested) {
        return requested == null || requested.joseName().equals(key.algorithm);
    }

    /** Makes a published key sign from {@code at}; the key(s) signing then retire at that moment. */
    private static SigningKeyRow activate(List<SigningKeyRow> keys, SigningKeyRow key, Instant at, Duration retention) {
        for (SigningKeyRow other : keys) {
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

    private static Uni<List<SigningKeyRow>> keys(Statements s) {
        return s.execute(SELECT_ALL, Tuple.tuple()).map(rows -> {
            List<SigningKeyRow> keys = new ArrayList<>(rows.size());
            for (Row row : rows) {
                keys.add(SigningKeyRow.from(row));
            }
            return keys;
        });
    }

    /** Writes back the keys a rotation changed: those whose times differ from what was read ({@code read}). */
    private static Uni<Void> update(Statements s, List<SigningKeyRow> keys, List<KeyTimes> read) {
        List<SigningKeyRow> changed = keys.stream().filter(k -> !read.contains(k.times())).toList();
        return Multi.createFrom().iterable(changed).onItem().transformToUniAndConcatenate(k -> s.execute(UPDATE, Tuple.from(Arrays.asList(
                        k.kid, utc(k.activatesAt), utc(k.retiresAt), utc(k.expiresAt), utc(k.compromisedAt), k.compromiseReason))))
                .collect().last().replaceWithVoid();
    }

    /**
     * Persists a new key activating at {@code activatesAt} and gives the key it supersedes its
     * retirement: it stops signing then and leaves JWKS after the longest token lifetime and skew.
     */
    private Uni<SigningKeyRow> schedule(Statements s, List<SigningKeyRow> existing, JwsAlgorithm.GeneratedKey generated,
            Instant now, Instant activatesAt, Duration retention, String reason) {
        SigningKeyRow key = new SigningKeyRow();
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
        return s.execute(INSERT, Tuple.from(Arrays.asList(key.kid, key.algorithm, key.publicJwk, Buffer.buffer(key.privateKeySealed),
                        utc(key.createdAt), utc(key.activatesAt), utc(key.retiresAt), utc(key.expiresAt), utc(key.compromisedAt),
                        key.compromiseReason)))
                .chain(() -> outbox(s, EventType.KEY_ROTATED, now, key.kid, reason))
                .replaceWith(key);
    }

    private static Uni<Integer> deleteGone(Statements s, List<KeyTimes> gone) {
        if (gone.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return s.execute("DELETE FROM signing_key WHERE kid = ANY($1)", Tuple.of(gone.stream().map(KeyTimes::kid).toArray(String[]::new)))
                .map(RowSet::rowCount);
    }

    private static Uni<Void> outbox(Statements s, EventType type, Instant now, String kid, String reason) {
        // Each value bound as text: a string bound where PostgreSQL expects jsonb is stored as a JSON string, not an object.
        return s.execute(AuditOutbox.event(type).at("$1").attributes("jsonb_build_object('kid', $2::text, 'reason', $3::text)").insert(),
                Tuple.of(utc(now), kid, reason)).replaceWithVoid();
    }

    /** Rotation timing. {@code retention}: how long a retired key stays in JWKS. */
    public record RotationSettings(Duration interval, Duration lead, Duration retention) {
    }
}
