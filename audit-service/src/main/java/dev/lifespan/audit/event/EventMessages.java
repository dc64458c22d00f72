package dev.lifespan.audit.event;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.audit.verifier.AuditRecord;

import java.time.Instant;

/** Stored events as {@code lifespan.v1.AuditEvent} messages. */
public final class EventMessages {
    private EventMessages() {
    }

    public static AuditEvent message(AuditRecord e) {
        AuditEvent.Builder b = AuditEvent.newBuilder()
                .setEventId(e.eventId())
                .setType(EventType.valueOf(e.type()))
                .setOccurredAt(timestamp(e.occurredAt()))
                .setProducer(e.producer())
                .setSubject(e.subject())
                .setSessionId(e.sessionId())
                .setClientId(e.clientId())
                .setTokenId(e.tokenId())
                .setSourceIp(e.sourceIp())
                .putAllAttributes(e.attributes())
                .setSequence(e.sequence())
                .setPreviousHash(e.previousHash())
                .setHash(e.hash());
        if (!e.validationFailure().isEmpty()) {
            b.setValidationFailure(ValidationFailure.valueOf(e.validationFailure()));
        }
        return b.build();
    }

    public static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }
}
