package dev.lifespan.audit.support;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.devstack.EmbeddedServers;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/** Audit events as producers send them. */
public final class Events {
    private static final AtomicLong COUNTER = new AtomicLong();

    private Events() {
    }

    /** A unique name, so tests sharing a database never see each other's subjects and sessions. */
    public static String unique(String prefix) {
        return prefix + "-" + COUNTER.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A TOKEN_ISSUED event of {@code subject}, occurred now, with a fresh id. */
    public static AuditEvent.Builder event(EventType type, String subject) {
        return AuditEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setType(type)
                .setOccurredAt(now())
                .setProducer("issuer")
                .setSubject(subject)
                .setSessionId("sid-" + subject)
                .setClientId("web-app")
                .setTokenId("jti-" + COUNTER.incrementAndGet())
                .setSourceIp("192.0.2.10")
                .putAttributes("profile", "web");
    }

    public static List<AuditEvent> issued(String subject, int n) {
        List<AuditEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(event(EventType.TOKEN_ISSUED, subject).build());
        }
        return events;
    }

    public static Timestamp now() {
        return at(Instant.now());
    }

    public static Timestamp at(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    /** How many events of this subject are stored. */
    public static long storedOf(EmbeddedServers servers, String subject) throws SQLException {
        try (var c = servers.jdbcConnection(); var s = c.prepareStatement("SELECT count(*) FROM audit_event WHERE subject = ?")) {
            s.setString(1, subject);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
