package dev.lifespan.audit.verifier;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Objects;

/**
 * A signed statement "the chain had this hash at this sequence at this time", made by the audit service with its
 * own Ed25519 key, in the spirit of Certificate Transparency's signed tree heads. Anyone holding one can later show
 * that the chain up to that sequence was not rewritten and that no event up to it was deleted.
 *
 * <p>The signature is Ed25519 (RFC 8032) over exactly these bytes (ASCII, each line ending in {@code \n}):
 * <pre>
 * lifespan.audit.checkpoint.v1
 * &lt;sequence, decimal&gt;
 * &lt;hash of the event at that sequence, 64 lowercase hex digits&gt;
 * &lt;signed_at as milliseconds since the epoch, decimal&gt;
 * </pre>
 * Its JSON form, one object (also the payload of the service's log line):
 * <pre>{"sequence":1000,"hash":"…","signed_at":"2025-01-01T12:00:00.123Z","key_id":"…","signature":"…base64url…"}</pre>
 *
 * @param signedAt  when it was signed, at millisecond precision
 * @param keyId     {@link CheckpointKeys#keyId} of the signing key
 * @param signature unpadded base64url of the 64-byte signature
 */
public record Checkpoint(long sequence, String hash, Instant signedAt, String keyId, String signature) {
    /** The first line of the signed text. */
    public static final String DOMAIN = "lifespan.audit.checkpoint.v1";
    // Duplicate members are refused: two readers must never see two different events in one line.
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    public Checkpoint {
        if (sequence < 1) {
            throw new IllegalArgumentException("a checkpoint's sequence is at least 1");
        }
        if (!EventHash.isHash(hash)) {
            throw new IllegalArgumentException("a checkpoint's hash is 64 lowercase hex digits");
        }
        signedAt = Objects.requireNonNull(signedAt, "signedAt").truncatedTo(ChronoUnit.MILLIS);
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
    }

    /** Produces an Ed25519 signature of the given bytes (any RFC 8032 implementation: the JDK's, Tink's, an HSM's). */
    @FunctionalInterface
    public interface Signer {
        byte[] sign(byte[] text) throws GeneralSecurityException;
    }

    /** Signs a checkpoint of the event at {@code sequence} with hash {@code hash}, with the JDK's Ed25519. */
    public static Checkpoint sign(long sequence, String hash, Instant signedAt, PrivateKey key, String keyId) {
        return sign(sequence, hash, signedAt, keyId, text -> {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(text);
            return signer.sign();
        });
    }

    /** Signs a checkpoint of the event at {@code sequence} with hash {@code hash}. */
    public static Checkpoint sign(long sequence, String hash, Instant signedAt, String keyId, Signer signer) {
        Instant at = signedAt.truncatedTo(ChronoUnit.MILLIS);
        try {
            return new Checkpoint(sequence, hash, at, keyId, Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign(signedText(sequence, hash, at))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed: " + e.getMessage(), e);
        }
    }

    /** The exact bytes the signature covers. */
    public byte[] signedText() {
        return signedText(sequence, hash, signedAt);
    }

    private static byte[] signedText(long sequence, String hash, Instant signedAt) {
        return (DOMAIN + "\n" + sequence + "\n" + hash + "\n" + signedAt.toEpochMilli() + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** True when the signature verifies with {@code key} (the key id is not consulted). */
    public boolean verify(PublicKey key) {
        byte[] sig;
        try {
            sig = Base64.getUrlDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (sig.length != 64) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(signedText());
            return verifier.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The one-line JSON form. */
    public String toJson() {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            write(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Writes the JSON object to a generator (inside an array, for instance). */
    public void write(JsonGenerator json) throws IOException {
        json.writeStartObject();
        json.writeNumberField("sequence", sequence);
        json.writeStringField("hash", hash);
        json.writeStringField("signed_at", signedAt.toString());
        json.writeStringField("key_id", keyId);
        json.writeStringField("signature", signature);
        json.writeEndObject();
    }

    /** Parses the JSON form; unknown members are refused, so nothing unsigned can ride along unnoticed. */
    public static Checkpoint parse(String json) {
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("a checkpoint is a JSON object");
            }
            Checkpoint checkpoint = read(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("unexpected content after the checkpoint object");
            }
            return checkpoint;
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    /** Reads one checkpoint object whose START_OBJECT the parser has just returned. */
    static Checkpoint read(JsonParser parser) throws IOException {
        Long sequence = null;
        String hash = null;
        String signedAt = null;
        String keyId = null;
        String signature = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "sequence" -> sequence = value == JsonToken.VALUE_NUMBER_INT ? parser.getLongValue() : null;
                case "hash" -> hash = string(parser, value, name);
                case "signed_at" -> signedAt = string(parser, value, name);
                case "key_id" -> keyId = string(parser, value, name);
                case "signature" -> signature = string(parser, value, name);
                default -> throw new IllegalArgumentException("unknown checkpoint member \"" + name + "\"");
            }
        }
        if (sequence == null || hash == null || signedAt == null || keyId == null || signature == null) {
            throw new IllegalArgumentException("a checkpoint needs sequence (an integer), hash, signed_at, key_id and signature");
        }
        try {
            return new Checkpoint(sequence, hash, Instant.parse(signedAt), keyId, signature);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("signed_at is not an ISO-8601 instant", e);
        }
    }

    private static String string(JsonParser parser, JsonToken value, String name) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException("checkpoint member \"" + name + "\" must be a string");
        }
        return parser.getText();
    }
}
