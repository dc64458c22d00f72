package dev.lifespan.validator.revocation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Identifiers ({@code jti}, {@code sid} or {@code kid}) revoked until an expiry, sized for a million
 * entries: one writer, any number of lock-free readers.
 *
 * <p>Lifespan's {@code jti} and {@code sid} are 22 characters of base64url over 16 random bytes. Those
 * are kept as their two 64-bit halves in an open-addressing table of parallel arrays, with the expiry
 * as an unsigned {@code int} of epoch seconds (good until 2106): 20 bytes a slot, at most half the
 * slots used and no object per entry: 40 to 80 bytes per identifier after growing (about 55
 * measured for a million), up to 160 just before the table shrinks back once 7/8 of it is free. Any other spelling (a
 * {@code kid}, a foreign {@code jti}) goes to a plain concurrent map; there are few of those.
 *
 * <p>Why readers need no lock: a slot's key is written before its expiry, and the expiry is published
 * with release semantics and read with acquire semantics, so a reader that sees a non-empty expiry
 * sees the key. A slot never changes key: removal leaves a tombstone (with the key still in place,
 * revived if the same identifier is revoked again) and tombstones are only reclaimed by rebuilding
 * into fresh arrays, which are then published through a volatile field. A reader still walking the
 * old arrays answers as of just before the rebuild.
 */
final class RevokedIds {
    private static final VarHandle EXPIRY = MethodHandles.arrayElementVarHandle(int[].class);
    /** Expiry value of a slot never used. */
    private static final int EMPTY = 0;
    /** Expiry value of a removed entry; real expiries are clamped to at least 2. */
    private static final int TOMBSTONE = 1;
    private static final int MIN_CAPACITY = 16;

    private volatile Slots slots = new Slots(MIN_CAPACITY);
    private final ConcurrentHashMap<String, Long> others = new ConcurrentHashMap<>();
    // Written by the single writer only; volatile so size() is current from any thread.
    private volatile int packedLive;
    private int packedUsed; // live + tombstones, writer only

    /** Is {@code id} revoked? Ignores expiry: an entry past it covers only tokens that are expired anyway. */
    boolean contains(String id) {
        if (id == null) {
            return false;
        }
        if (!Packed.fits(id)) {
            return others.containsKey(id);
        }
        long hi = Packed.high(id);
        long lo = Packed.low(id);
        Slots s = slots;
        int i = s.indexOf(hi, lo);
        while (true) {
            int expiry = (int) EXPIRY.getAcquire(s.expiry, i);
            if (expiry == EMPTY) {
                return false;
            }
            if (s.high[i] == hi && s.low[i] == lo) {
                return expiry != TOMBSTONE;
            }
            i = (i + 1) & s.mask;
        }
    }

    /** Revokes {@code id} until {@code expiresEpochSecond}; a second revocation keeps the later expiry. Writer only. */
    void add(String id, long expiresEpochSecond) {
        if (!Packed.fits(id)) {
            others.merge(id, expiresEpochSecond, Math::max);
            return;
        }
        long hi = Packed.high(id);
        long lo = Packed.low(id);
        int expiry = toStored(expiresEpochSecond);
        Slots s = slots;
        int i = s.indexOf(hi, lo);
        while (true) {
            int current = s.expiry[i];
            if (current == EMPTY) {
                break;
            }
            if (s.high[i] == hi && s.low[i] == lo) {
                if (current == TOMBSTONE) {
                    packedLive++;
                    EXPIRY.setRelease(s.expiry, i, expiry);
                } else if (Integer.compareUnsigned(expiry, current) > 0) {
                    EXPIRY.setRelease(s.expiry, i, expiry);
                }
                return;
            }
            i = (i + 1) & s.mask;
        }
        if ((packedUsed + 1) * 2L > s.expiry.length) {
            rebuild(packedLive + 1);
            s = slots;
            i = s.indexOf(hi, lo);
            while (s.expiry[i] != EMPTY) {
                i = (i + 1) & s.mask;
            }
        }
        s.high[i] = hi;
        s.low[i] = lo;
        EXPIRY.setRelease(s.expiry, i, expiry);
        packedUsed++;
        packedLive++;
    }

    /** Removes every entry whose expiry is before {@code nowEpochSecond}; returns how many. Writer only. */
    int dropExpiredBefore(long nowEpochSecond) {
        int removed = 0;
        int now = toStored(nowEpochSecond);
        Slots s = slots;
        for (int i = 0; i < s.expiry.length; i++) {
            int expiry = s.expiry[i];
            if (expiry != EMPTY && expiry != TOMBSTONE && Integer.compareUnsigned(expiry, now) < 0) {
                EXPIRY.setRelease(s.expiry, i, TOMBSTONE);
                packedLive--;
                removed++;
            }
        }
        // Give memory back once most of the table is empty, so it follows live tokens, not history.
        if (s.expiry.length > MIN_CAPACITY && packedLive * 8L < s.expiry.length) {
            rebuild(packedLive);
        }
        int before = others.size();
        others.values().removeIf(expiry -> expiry < nowEpochSecond);
        return removed + (before - others.size());
    }

    int size() {
        return packedLive + others.size();
    }

    /** Copies live entries into fresh arrays with room to spare (load at most 3/8), then publishes them. */
    private void rebuild(int expected) {
        int capacity = MIN_CAPACITY;
        while (capacity < expected * 2L || expected > capacity * 3L / 8) {
            capacity <<= 1;
        }
        Slots old = slots;
        Slots fresh = new Slots(capacity);
        for (int j = 0; j < old.expiry.length; j++) {
            int expiry = old.expiry[j];
            if (expiry != EMPTY && expiry != TOMBSTONE) {
                int i = fresh.indexOf(old.high[j], old.low[j]);
                while (fresh.expiry[i] != EMPTY) {
                    i = (i + 1) & fresh.mask;
                }
                fresh.high[i] = old.high[j];
                fresh.low[i] = old.low[j];
                fresh.expiry[i] = expiry;
            }
        }
        packedUsed = packedLive;
        slots = fresh; // volatile write: publishes the plain writes above
    }

    private static int toStored(long epochSecond) {
        return (int) Math.max(2, Math.min(epochSecond, 0xFFFF_FFFFL));
    }

    private static final class Slots {
        final long[] high;
        final long[] low;
        final int[] expiry;
        final int mask;

        Slots(int capacity) {
            high = new long[capacity];
            low = new long[capacity];
            expiry = new int[capacity];
            mask = capacity - 1;
        }

        int indexOf(long hi, long lo) {
            // The halves are random bytes for Lifespan's own ids; mixing still spreads any other input.
            long h = hi * 0x9E37_79B9_7F4A_7C15L ^ lo;
            h ^= h >>> 33;
            h *= 0xFF51_AFD7_ED55_8CCDL;
            h ^= h >>> 33;
            return (int) h & mask;
        }
    }

    /** The 22-character base64url spelling of 16 bytes, decoded without allocating. */
    static final class Packed {
        private static final int LENGTH = 22;
        private static final byte[] VALUES = new byte[128];

        static {
            Arrays.fill(VALUES, (byte) -1);
            String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            for (int i = 0; i < alphabet.length(); i++) {
                VALUES[alphabet.charAt(i)] = (byte) i;
            }
        }

        private Packed() {
        }

        /** Canonical: 22 alphabet characters whose last one carries no bits beyond the 128th. */
        static boolean fits(String id) {
            if (id.length() != LENGTH) {
                return false;
            }
            for (int i = 0; i < LENGTH; i++) {
                char c = id.charAt(i);
                if (c >= 128 || VALUES[c] < 0) {
                    return false;
                }
            }
            return (VALUES[id.charAt(LENGTH - 1)] & 0x0F) == 0;
        }

        /** Bits 0-63: characters 0-9 (60 bits) and the top 4 bits of character 10. */
        static long high(String id) {
            long bits = 0;
            for (int i = 0; i < 10; i++) {
                bits = bits << 6 | VALUES[id.charAt(i)];
            }
            return bits << 4 | VALUES[id.charAt(10)] >>> 2;
        }

        /** Bits 64-127: the low 2 bits of character 10, characters 11-20 (60 bits), the top 2 bits of 21. */
        static long low(String id) {
            long bits = VALUES[id.charAt(10)] & 0x3;
            for (int i = 11; i < 21; i++) {
                bits = bits << 6 | VALUES[id.charAt(i)];
            }
            return bits << 2 | VALUES[id.charAt(21)] >>> 4;
        }
    }
}
