package dev.lifespan.audit.verifier;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Builds well-formed chains for tests, the way the audit service appends. */
final class Chains {
    static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123456Z");

    private Chains() {
    }

    /** An unchained event (sequence and hashes unset). */
    static AuditRecord event(int i) {
        return new AuditRecord(0, new UUID(0x1234L, i).toString(), i % 3 == 0 ? "TOKEN_REFRESHED" : "TOKEN_ISSUED",
                T0.plusMillis(i), T0.plusMillis(i + 5), "issuer", "user-" + (i % 7), "sid-" + (i % 5), "web-app", "jti-" + i,
                "10.0.0." + (i % 250), "", new TreeMap<>(Map.of("profile", "web", "n", Integer.toString(i))), "", "");
    }

    /** Appends {@code event} after {@code previous} (null for the first event). */
    static AuditRecord append(AuditRecord previous, AuditRecord event) {
        long sequence = previous == null ? 1 : previous.sequence() + 1;
        String previousHash = previous == null ? EventHash.GENESIS : previous.hash();
        AuditRecord unhashed = event.chained(sequence, event.recordedAt(), previousHash, "");
        return unhashed.withHash(EventHash.hash(unhashed));
    }

    /** A chain of {@code n} events, sequences 1..n. */
    static List<AuditRecord> chain(int n) {
        List<AuditRecord> chain = new ArrayList<>(n);
        AuditRecord previous = null;
        for (int i = 1; i <= n; i++) {
            previous = append(previous, event(i));
            chain.add(previous);
        }
        return chain;
    }
}
