package dev.lifespan.audit.verifier;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EventHashTest {
    /** The example of the README's "Canonical encoding" section; its hash was computed by an independent Python script from that text. */
    static final AuditRecord README_EXAMPLE = new AuditRecord(1, "0b5f8a52-3c1e-4e7a-9d0c-6f1e2a3b4c5d", "TOKEN_ISSUED",
            Instant.parse("2025-03-01T10:00:00.123456Z"), Instant.parse("2025-03-01T10:00:00.200000Z"), "issuer", "alice", "sid-1",
            "web-app", "jti-1", "192.0.2.7", "", new TreeMap<>(Map.of("profile", "web", "grace", "false")), EventHash.GENESIS, "");

    @Test
    void readmeExampleHashesToThePublishedValue() {
        assertThat(EventHash.hash(README_EXAMPLE)).isEqualTo(ReadmeVector.HASH);
    }

    @Test
    void encodingIsLengthPrefixedFieldsInTheDocumentedOrder() {
        byte[] encoded = EventHash.encode(README_EXAMPLE);
        String hex = HexFormat.of().formatHex(encoded);

        assertThat(hex).startsWith("00000017" + HexFormat.of().formatHex(EventHash.DOMAIN.getBytes()) + "0000000000000001");
        assertThat(hex).endsWith("0".repeat(64));
        // Two attributes, "grace" before "profile".
        assertThat(hex).contains("00000002" + "00000005" + HexFormat.of().formatHex("grace".getBytes()));
    }

    @Test
    void everyFieldChangesTheHash() {
        String base = EventHash.hash(README_EXAMPLE);
        AuditRecord r = README_EXAMPLE;
        assertThat(EventHash.hash(new AuditRecord(2, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), r.producer(), r.subject(),
                r.sessionId(), r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(), r.attributes(), r.previousHash(), "")))
                .isNotEqualTo(base);
        assertThat(EventHash.hash(new AuditRecord(1, r.eventId(), r.type(), r.occurredAt().plusNanos(1000), r.recordedAt(), r.producer(),
                r.subject(), r.sessionId(), r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(), r.attributes(), r.previousHash(), "")))
                .isNotEqualTo(base);
        assertThat(EventHash.hash(new AuditRecord(1, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), r.producer(), "alicE",
                r.sessionId(), r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(), r.attributes(), r.previousHash(), "")))
                .isNotEqualTo(base);
        assertThat(EventHash.hash(new AuditRecord(1, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), r.producer(), r.subject(),
                r.sessionId(), r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(),
                new TreeMap<>(Map.of("profile", "web", "grace", "true")), r.previousHash(), ""))).isNotEqualTo(base);
        assertThat(EventHash.hash(r.chained(1, r.recordedAt(), "1" + "0".repeat(63), ""))).isNotEqualTo(base);
    }

    @Test
    void lengthPrefixesKeepNeighbouringFieldsApart() {
        AuditRecord r = README_EXAMPLE;
        AuditRecord shifted = new AuditRecord(1, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), r.producer(), "alicesid-1", "",
                r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(), r.attributes(), r.previousHash(), "");
        AuditRecord original = new AuditRecord(1, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), r.producer(), "alice", "sid-1",
                r.clientId(), r.tokenId(), r.sourceIp(), r.validationFailure(), r.attributes(), r.previousHash(), "");

        assertThat(EventHash.hash(shifted)).isNotEqualTo(EventHash.hash(original));
    }

    @Test
    void attributeKeysSortAsUtf8BytesNotAsJavaStrings() {
        // Java orders U+1F600 (a surrogate pair, 0xD83D...) before U+FF21; UTF-8 bytes order U+FF21 (EF BC A1) first.
        AuditRecord r = README_EXAMPLE;
        AuditRecord unusual = new AuditRecord(1, r.eventId(), r.type(), r.occurredAt(), r.recordedAt(), "", "", "", "", "", "", "",
                new TreeMap<>(Map.of("\uD83D\uDE00", "b", "\uFF21", "a")), r.previousHash(), "");

        String hex = HexFormat.of().formatHex(EventHash.encode(unusual));

        assertThat(hex.indexOf("efbca1")).isPositive().isLessThan(hex.indexOf("f09f9880"));
    }

    @Test
    void claimedHashIsNotPartOfTheEncoding() {
        assertThat(EventHash.hash(README_EXAMPLE.withHash("f".repeat(64)))).isEqualTo(EventHash.hash(README_EXAMPLE));
    }

    @Test
    void timesCountInMicroseconds() {
        assertThat(EventHash.micros(Instant.parse("1970-01-01T00:00:01.000002999Z"))).isEqualTo(1_000_002L);
        assertThat(EventHash.micros(Instant.parse("1969-12-31T23:59:59.5Z"))).isEqualTo(-500_000L);
    }

    @Test
    void previousHashMustBeHex() {
        assertThatThrownBy(() -> EventHash.hash(README_EXAMPLE.chained(1, README_EXAMPLE.recordedAt(), "xyz", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("previous_hash");
    }
}
