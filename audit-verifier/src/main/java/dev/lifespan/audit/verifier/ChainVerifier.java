package dev.lifespan.audit.verifier;

import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Walks stored events in the order they are read (by sequence) and finds the first break, holding nothing but
 * the last good event, so a chain of any length is checked in constant memory. The audit service's
 * {@code VerifyChain} and the offline verifier both run exactly this.
 *
 * <p>Each event is checked in this order, and the first failure is the answer:
 * <ol>
 *   <li>its sequence follows the last good one: equal is {@link ChainBreak.Kind#INSERTED}, lower is
 *       {@link ChainBreak.Kind#REORDERED}, a gap is {@link ChainBreak.Kind#DELETED};</li>
 *   <li>its fields hash to its stored hash, else {@link ChainBreak.Kind#EDITED};</li>
 *   <li>its previous hash is the last good event's hash (or the anchor's), else {@link ChainBreak.Kind#UNLINKED};</li>
 *   <li>where a signed checkpoint names its sequence, the hashes agree, else {@link ChainBreak.Kind#CHECKPOINT_MISMATCH}.</li>
 * </ol>
 * {@link #finish} then reports {@link ChainBreak.Kind#TRUNCATED} when a checkpoint, or the head the store says it
 * has, lies beyond the last event seen: a plain chain cannot show that its newest events were deleted; a signed
 * checkpoint kept elsewhere can.
 */
public final class ChainVerifier {

    /**
     * What the first event links to: the genesis, or a signed checkpoint at the sequence just before it (the
     * retention edge, or where an export starts).
     */
    public record Anchor(long sequence, String hash, String description) {
        /** Before the first event ever recorded. */
        public static final Anchor GENESIS = new Anchor(0, EventHash.GENESIS, "the genesis");

        public Anchor {
            Objects.requireNonNull(hash, "hash");
            Objects.requireNonNull(description, "description");
        }
    }

    /** The outcome of a walk. */
    public record Result(long checked, long firstSequence, long lastSequence, String lastHash, int checkpointsMatched,
            ChainBreak firstBreak) {
        public boolean intact() {
            return firstBreak == null;
        }
    }

    private final Anchor anchor;
    private final NavigableMap<Long, String> checkpoints;
    private long checked;
    private long firstSequence;
    private long lastSequence;
    private String lastHash;
    private int checkpointsMatched;
    private ChainBreak firstBreak;
    /** An event that came after a gap: DELETED, unless the very next event fills the gap (then REORDERED). */
    private AuditRecord afterGap;

    /**
     * @param anchor      what the first event must link to; null to take the first event's own previous hash on
     *                    trust (an export that starts in the middle with no checkpoint before it), except that a
     *                    first event with sequence 1 must always link to the genesis
     * @param checkpoints hash by sequence of signed checkpoints whose signatures the caller has already verified
     */
    public ChainVerifier(Anchor anchor, Map<Long, String> checkpoints) {
        this.anchor = anchor;
        this.checkpoints = new TreeMap<>(checkpoints);
        if (anchor != null) {
            lastSequence = anchor.sequence();
            lastHash = anchor.hash();
        }
    }

    /** Checks the next event; false once the chain is broken (later events are then ignored). */
    public boolean accept(AuditRecord event) {
        return accept(event, hashOrNull(event));
    }

    /**
     * The hashes of {@code events}, computed on all cores ({@code null} where an event cannot be encoded): the expensive
     * half of a walk, which needs no order. Feed each with {@link #accept(AuditRecord, String)}.
     */
    public static String[] hashes(List<AuditRecord> events) {
        String[] hashes = new String[events.size()];
        IntStream.range(0, events.size()).parallel().forEach(i -> hashes[i] = hashOrNull(events.get(i)));
        return hashes;
    }

    private static String hashOrNull(AuditRecord event) {
        try {
            return EventHash.hash(event);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** As {@link #accept(AuditRecord)}, with the event's hash already computed ({@link #hashes}). */
    public boolean accept(AuditRecord event, String computed) {
        if (firstBreak != null) {
            return false;
        }
        if (afterGap != null) {
            AuditRecord early = afterGap;
            afterGap = null;
            if (event.sequence() == lastSequence + 1) {
                return fail(ChainBreak.Kind.REORDERED, early, "sequence " + early.sequence() + " appears before sequence " + event.sequence());
            }
            return failDeleted(early);
        }
        checked++;
        boolean first = checked == 1;
        if (first) {
            firstSequence = event.sequence();
        }
        if (first && anchor == null) {
            // No anchor: the first event starts the walk, linked to whatever it says (the genesis for sequence 1).
            if (event.sequence() == 1 && !EventHash.GENESIS.equals(event.previousHash())) {
                return fail(ChainBreak.Kind.UNLINKED, event, "the first event's previous_hash is not the genesis (64 zeros)");
            }
            lastSequence = event.sequence() - 1;
            lastHash = event.previousHash();
        }
        long expected = lastSequence + 1;
        if (event.sequence() < expected) {
            if (event.sequence() == lastSequence && !first) {
                return fail(ChainBreak.Kind.INSERTED, event, "a second event with sequence " + event.sequence()
                        + " follows the one already verified there; it was never appended to the chain");
            }
            return fail(ChainBreak.Kind.REORDERED, event, "sequence " + event.sequence() + " appears after sequence " + lastSequence
                    + (first ? " (" + anchor.description() + ")" : ""));
        }
        if (event.sequence() > expected) {
            // Decided on the next event: a swap of neighbours shows as a gap filled right after.
            afterGap = event;
            return true;
        }
        if (computed == null) {
            return fail(ChainBreak.Kind.EDITED, event, "its previous_hash is not 64 lowercase hex digits");
        }
        if (!computed.equals(event.hash())) {
            return fail(ChainBreak.Kind.EDITED, event, "its fields do not produce its stored hash (stored " + abbreviate(event.hash())
                    + ", computed " + abbreviate(computed) + ")");
        }
        if (!lastHash.equals(event.previousHash())) {
            String before = first ? anchor.description() + " (" + abbreviate(lastHash) + ")" : "event " + lastSequence + " (" + abbreviate(lastHash) + ")";
            return fail(ChainBreak.Kind.UNLINKED, event, "its previous_hash " + abbreviate(event.previousHash()) + " is not the hash of " + before
                    + ": the event before was edited and re-hashed, or this one was forged");
        }
        String signed = checkpoints.get(event.sequence());
        if (signed != null) {
            if (!signed.equals(event.hash())) {
                return fail(ChainBreak.Kind.CHECKPOINT_MISMATCH, event, "a signed checkpoint holds hash " + abbreviate(signed)
                        + " for this sequence, the chain has " + abbreviate(event.hash()) + ": the chain up to here was rewritten");
            }
            checkpointsMatched++;
        }
        lastSequence = event.sequence();
        lastHash = event.hash();
        return true;
    }

    /**
     * Ends the walk.
     *
     * @param expectedLastSequence the sequence the walk should have reached (the store's head when the whole chain
     *                             was read), or 0 when only checkpoints say where the chain must reach
     */
    public Result finish(long expectedLastSequence) {
        if (afterGap != null) {
            failDeleted(afterGap);
            afterGap = null;
        }
        if (firstBreak == null) {
            long signedBeyond = checkpoints.isEmpty() ? 0 : checkpoints.lastKey();
            long mustReach = Math.max(expectedLastSequence, signedBeyond);
            if (mustReach > lastSequence) {
                String who = signedBeyond >= expectedLastSequence ? "a signed checkpoint covers sequence " + signedBeyond
                        : "the chain head is at sequence " + expectedLastSequence;
                fail(new ChainBreak(ChainBreak.Kind.TRUNCATED, lastSequence + 1, "", (checked == 0 ? "no events were found"
                        : "the chain ends at sequence " + lastSequence) + " but " + who + ": events " + (lastSequence + 1) + ".." + mustReach
                        + " are missing"));
            }
        }
        return new Result(checked, firstSequence, lastSequence, lastHash, checkpointsMatched, firstBreak);
    }

    /** The last good event's sequence so far (the anchor's before any event). */
    public long lastSequence() {
        return lastSequence;
    }

    private boolean failDeleted(AuditRecord found) {
        long expected = lastSequence + 1;
        String missing = expected == found.sequence() - 1 ? "event " + expected + " is" : "events " + expected + ".." + (found.sequence() - 1) + " are";
        return fail(new ChainBreak(ChainBreak.Kind.DELETED, expected, "", missing + " missing: the next event found is " + found.sequence()
                + (checked == 1 && anchor != null ? ", but the chain continues from " + anchor.description() : "")));
    }

    private boolean fail(ChainBreak.Kind kind, AuditRecord event, String message) {
        return fail(new ChainBreak(kind, event.sequence(), event.eventId(), message));
    }

    private boolean fail(ChainBreak chainBreak) {
        firstBreak = chainBreak;
        return false;
    }

    private static String abbreviate(String hash) {
        return hash == null || hash.length() <= 16 ? String.valueOf(hash) : hash.substring(0, 16) + "...";
    }
}
