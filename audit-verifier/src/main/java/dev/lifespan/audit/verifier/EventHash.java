package dev.lifespan.audit.verifier;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The canonical encoding of an audit event and its SHA-256 chain hash: the one definition every part of
 * Lifespan (and any outside tool, see {@code audit-service/README.md}) uses.
 *
 * <pre>
 * str(s)  = uint32 big-endian length of UTF-8(s) in bytes, then UTF-8(s)
 * int64   = 8 bytes, big-endian two's complement
 *
 * encoding = str("lifespan.audit.event.v1")
 *         || int64(sequence)
 *         || str(event_id) || str(type)
 *         || int64(occurred_at as microseconds since 1970-01-01T00:00:00Z)
 *         || int64(recorded_at as microseconds since 1970-01-01T00:00:00Z)
 *         || str(producer) || str(subject) || str(session_id) || str(client_id) || str(token_id) || str(source_ip)
 *         || str(validation_failure)
 *         || uint32(number of attributes) || for each attribute in ascending unsigned-byte order of UTF-8(key): str(key) || str(value)
 *         || previous_hash as its 32 raw bytes
 *
 * hash = lowercase hex of SHA-256(encoding)
 * </pre>
 *
 * Length prefixes make the encoding injective (no two different events share one), so a hash names exactly one
 * event. The sequence is inside, so moving an event changes its hash; the previous hash is inside, so changing any
 * event changes every hash after it.
 */
public final class EventHash {
    /** The domain tag that opens every encoding; a new encoding gets a new tag. */
    public static final String DOMAIN = "lifespan.audit.event.v1";
    /** The previous hash of the first event: 32 zero bytes. */
    public static final String GENESIS = "0".repeat(64);

    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] DOMAIN_UTF8 = DOMAIN.getBytes(StandardCharsets.UTF_8);
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    });

    private EventHash() {
    }

    /** The hash of {@code record} over all its fields and its previous hash (its own claimed hash is ignored). */
    public static String hash(AuditRecord record) {
        MessageDigest digest = SHA256.get();
        digest.reset();
        return HEX.formatHex(digest.digest(encode(record)));
    }

    /** The canonical encoding of {@code record}; its previous hash must be 64 hex digits. */
    public static byte[] encode(AuditRecord record) {
        byte[] previous = decodeHash(record.previousHash(), "previous_hash");
        byte[][] strings = {
                DOMAIN_UTF8, utf8(record.eventId()), utf8(record.type()), utf8(record.producer()), utf8(record.subject()),
                utf8(record.sessionId()), utf8(record.clientId()), utf8(record.tokenId()), utf8(record.sourceIp()),
                utf8(record.validationFailure())};
        byte[][] attributes = new byte[record.attributes().size() * 2][];
        int a = 0;
        boolean ascii = true;
        for (Map.Entry<String, String> e : record.attributes().entrySet()) {
            attributes[a++] = utf8(e.getKey());
            attributes[a++] = utf8(e.getValue());
            ascii &= isAscii(e.getKey());
        }
        if (!ascii) {
            // Keys are sorted as UTF-8 bytes; the map's String order agrees for ASCII keys only.
            List<byte[][]> pairs = new ArrayList<>(attributes.length / 2);
            for (int i = 0; i < attributes.length; i += 2) {
                pairs.add(new byte[][] {attributes[i], attributes[i + 1]});
            }
            pairs.sort((x, y) -> Arrays.compareUnsigned(x[0], y[0]));
            for (int i = 0; i < pairs.size(); i++) {
                attributes[2 * i] = pairs.get(i)[0];
                attributes[2 * i + 1] = pairs.get(i)[1];
            }
        }
        int size = 8 + 8 + 8 + 4 + 32;
        for (byte[] b : strings) {
            size += 4 + b.length;
        }
        for (byte[] b : attributes) {
            size += 4 + b.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        bytes(out, strings[0]);
        out.putLong(record.sequence());
        bytes(out, strings[1]);
        bytes(out, strings[2]);
        out.putLong(micros(record.occurredAt()));
        out.putLong(micros(record.recordedAt()));
        for (int i = 3; i < strings.length; i++) {
            bytes(out, strings[i]);
        }
        out.putInt(attributes.length / 2);
        for (byte[] b : attributes) {
            bytes(out, b);
        }
        out.put(previous);
        return out.array();
    }

    /** Microseconds since the epoch, rounded down: PostgreSQL's precision, and the encoding's. */
    public static long micros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    /** True when {@code hash} is 64 lowercase hex digits. */
    public static boolean isHash(String hash) {
        if (hash == null || hash.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = hash.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static byte[] decodeHash(String hash, String field) {
        if (!isHash(hash)) {
            throw new IllegalArgumentException(field + " is not 64 lowercase hex digits");
        }
        return HEX.parseHex(hash);
    }

    private static void bytes(ByteBuffer out, byte[] value) {
        out.putInt(value.length);
        out.put(value);
    }

    private static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    private static boolean isAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }
}
