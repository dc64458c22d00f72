package dev.lifespan.audit.verifier;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One stored audit event exactly as the hash chain sees it: every field that goes into its hash, plus the hash
 * the store claims for it. Absent strings are the empty string, never null, because the canonical encoding
 * cannot tell the two apart and neither may anything else.
 *
 * @param sequence          position in the chain, 1 for the first event ever recorded
 * @param eventId           the producer's id, a lowercase UUID
 * @param type              the event type's name ({@code TOKEN_ISSUED}, ...)
 * @param occurredAt        when it happened at the producer (microsecond precision)
 * @param recordedAt        when the audit service appended it (microsecond precision, never decreasing along the chain)
 * @param validationFailure the reason's name for {@code VALIDATION_FAILED}, else empty
 * @param attributes        free-form detail, ordered by key
 * @param previousHash      hex SHA-256 of the event before ({@link EventHash#GENESIS} for sequence 1)
 * @param hash              hex SHA-256 claimed for this event; {@link EventHash#hash} recomputes it
 */
public record AuditRecord(long sequence, String eventId, String type, Instant occurredAt, Instant recordedAt, String producer,
        String subject, String sessionId, String clientId, String tokenId, String sourceIp, String validationFailure,
        SortedMap<String, String> attributes, String previousHash, String hash) {

    public AuditRecord {
        eventId = text(eventId);
        type = text(type);
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(recordedAt, "recordedAt");
        producer = text(producer);
        subject = text(subject);
        sessionId = text(sessionId);
        clientId = text(clientId);
        tokenId = text(tokenId);
        sourceIp = text(sourceIp);
        validationFailure = text(validationFailure);
        attributes = attributes == null || attributes.isEmpty() ? Collections.emptySortedMap()
                : Collections.unmodifiableSortedMap(new TreeMap<>(attributes));
        previousHash = text(previousHash);
        hash = text(hash);
    }

    /** This record with its chain fields set: the caller has computed {@code hash} over everything else. */
    public AuditRecord chained(long sequence, Instant recordedAt, String previousHash, String hash) {
        return new AuditRecord(sequence, eventId, type, occurredAt, recordedAt, producer, subject, sessionId, clientId, tokenId,
                sourceIp, validationFailure, attributes, previousHash, hash);
    }

    /** This record claiming a different hash (what a store does when it appends). */
    public AuditRecord withHash(String newHash) {
        return chained(sequence, recordedAt, previousHash, newHash);
    }

    /** Sorted copy of a map, for callers holding an unsorted one. */
    public static SortedMap<String, String> sorted(Map<String, String> attributes) {
        return attributes == null ? Collections.emptySortedMap() : new TreeMap<>(attributes);
    }

    private static String text(String value) {
        return value == null ? "" : value;
    }
}
