package dev.lifespan.audit.verifier;

/**
 * The first place a chain stops being the chain that was recorded.
 *
 * @param kind     what kind of change it is
 * @param sequence the sequence where it shows: the edited, inserted or reordered event, the first missing one
 * @param eventId  the id of the event found there, or empty when the event is missing
 * @param message  a sentence for people
 */
public record ChainBreak(Kind kind, long sequence, String eventId, String message) {

    /** Kinds of break, each a change to stored events that the chain reveals. */
    public enum Kind {
        /** An event's fields no longer produce its stored hash. */
        EDITED,
        /** An event that was never appended: a second event with a sequence already taken. */
        INSERTED,
        /** Events are missing: a gap in the sequence, or a chain that does not start where its anchor says. */
        DELETED,
        /** An event appears after one with a higher sequence. */
        REORDERED,
        /**
         * An event whose own hash is right but whose previous hash is not the hash of the event before it: the event
         * before was edited and re-hashed, or this one was forged.
         */
        UNLINKED,
        /** An event's hash differs from the hash a signed checkpoint holds for its sequence: the chain was rewritten. */
        CHECKPOINT_MISMATCH,
        /** The chain ends before a sequence that a signed checkpoint (or the store's own head) says was appended. */
        TRUNCATED
    }

    @Override
    public String toString() {
        return kind + " at sequence " + sequence + (eventId.isEmpty() ? "" : " (event " + eventId + ")") + ": " + message;
    }
}
