package dev.lifespan.issuer.key;

import dev.lifespan.api.v1.KeyState;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The signing-key lifecycle as pure functions of the key rows and the clock:
 * {@code NEXT} (published, not signing) → {@code ACTIVE} (signs) → {@code RETIRED} (published until
 * every token it signed has expired plus skew) → gone; or {@code COMPROMISED} (out of JWKS at once).
 */
public final class KeySchedule {

    private KeySchedule() {
    }

    public static KeyState state(KeyTimes key, Instant now) {
        if (key.compromisedAt() != null) {
            return KeyState.KEY_STATE_COMPROMISED;
        }
        if (now.isBefore(key.activatesAt())) {
            return KeyState.KEY_STATE_NEXT;
        }
        if (key.retiresAt() != null && !now.isBefore(key.retiresAt())) {
            return KeyState.KEY_STATE_RETIRED;
        }
        return KeyState.KEY_STATE_ACTIVE;
    }

    /** The key that signs now: the latest-activated one that is neither compromised nor retired. */
    public static Optional<KeyTimes> signingKey(List<KeyTimes> keys, Instant now) {
        return keys.stream()
                .filter(k -> state(k, now) == KeyState.KEY_STATE_ACTIVE)
                .max(Comparator.comparing(KeyTimes::activatesAt).thenComparing(KeyTimes::kid));
    }

    /** Whether the key belongs in JWKS now: NEXT, ACTIVE or RETIRED and not yet expired. */
    public static boolean published(KeyTimes key, Instant now) {
        return key.compromisedAt() == null && (key.expiresAt() == null || now.isBefore(key.expiresAt()));
    }

    /** The key scheduled to sign next, if one is already published. */
    public static Optional<KeyTimes> nextKey(List<KeyTimes> keys, Instant now) {
        return keys.stream()
                .filter(k -> state(k, now) == KeyState.KEY_STATE_NEXT)
                .min(Comparator.comparing(KeyTimes::activatesAt));
    }

    /**
     * What a scheduled rotation check should do now. A standby key is kept published at all times: as soon as
     * a key signs and none is waiting, its successor is published, to sign when the signing key's interval is up.
     * Validating nodes therefore hold the next key long before it signs, and an emergency rotation can make it
     * sign at once without any node meeting an unknown kid.
     *
     * @param interval  how long a key signs
     * @param lead      the least time a key is published before it signs
     * @return when a new key must activate (empty: nothing to create)
     */
    public static Optional<Instant> dueActivation(List<KeyTimes> keys, Instant now, Duration interval, Duration lead) {
        Optional<KeyTimes> signing = signingKey(keys, now);
        if (signing.isEmpty()) {
            // Nothing signs (first start, or every key compromised): a key must sign at once.
            // A NEXT key that is already published still activates on its own schedule later.
            return Optional.of(now);
        }
        if (nextKey(keys, now).isPresent()) {
            return Optional.empty();
        }
        Instant rotation = signing.get().activatesAt().plus(interval);
        Instant earliestSafe = now.plus(lead);
        return Optional.of(rotation.isAfter(earliestSafe) ? rotation : earliestSafe);
    }

    /** The earliest a key published at {@code publishedAt} may sign, asked at {@code now}: a full lead after publication. */
    public static Instant earliestActivation(Instant publishedAt, Instant now, Duration lead) {
        Instant safe = publishedAt.plus(lead);
        return safe.isAfter(now) ? safe : now;
    }

    /** Keys whose rows can be deleted: out of JWKS for good. */
    public static List<KeyTimes> gone(List<KeyTimes> keys, Instant now) {
        return keys.stream().filter(k -> k.expiresAt() != null && !now.isBefore(k.expiresAt())).toList();
    }
}
