package dev.lifespan.audit.verifier;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of a stored event: one object per line in an export ({@code GET /audit/export}, JSON Lines), and
 * each element of a REST query page. Members, in this order:
 * {@code sequence} (number), {@code event_id}, {@code type}, {@code occurred_at}, {@code recorded_at} (ISO-8601 UTC
 * with six fractional digits), {@code producer}, {@code subject}, {@code session_id}, {@code client_id},
 * {@code token_id}, {@code source_ip}, {@code validation_failure} (strings; empty ones are left out),
 * {@code attributes} (an object of strings), {@code previous_hash}, {@code hash}. A reader refuses unknown members,
 * since nothing outside the hash may ride along unnoticed; a missing string is the empty string.
 */
public final class ExportLines {
    // Duplicate members are refused: two readers must never see two different events in one line.
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private ExportLines() {
    }

    /** One event as a single line of JSON (no line break). */
    public static String toJson(AuditRecord event) {
        StringWriter out = new StringWriter(512);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            write(json, event);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** A generator for callers that write several events (a page, an export) into one stream. */
    public static JsonGenerator generator(java.io.Writer out) {
        try {
            return JSON.createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes one event object. */
    public static void write(JsonGenerator json, AuditRecord event) throws IOException {
        json.writeStartObject();
        json.writeNumberField("sequence", event.sequence());
        json.writeStringField("event_id", event.eventId());
        json.writeStringField("type", event.type());
        json.writeStringField("occurred_at", time(event.occurredAt()));
        json.writeStringField("recorded_at", time(event.recordedAt()));
        optional(json, "producer", event.producer());
        optional(json, "subject", event.subject());
        optional(json, "session_id", event.sessionId());
        optional(json, "client_id", event.clientId());
        optional(json, "token_id", event.tokenId());
        optional(json, "source_ip", event.sourceIp());
        optional(json, "validation_failure", event.validationFailure());
        json.writeObjectFieldStart("attributes");
        for (Map.Entry<String, String> e : event.attributes().entrySet()) {
            json.writeStringField(e.getKey(), e.getValue());
        }
        json.writeEndObject();
        json.writeStringField("previous_hash", event.previousHash());
        json.writeStringField("hash", event.hash());
        json.writeEndObject();
    }

    private static void optional(JsonGenerator json, String name, String value) throws IOException {
        if (!value.isEmpty()) {
            json.writeStringField(name, value);
        }
    }

    /** ISO-8601 UTC with exactly six fractional digits. */
    public static String time(Instant instant) {
        return TIME.format(instant);
    }

    /**
     * Reads one line.
     *
     * @throws IllegalArgumentException when the line is not an event object of this form
     */
    public static AuditRecord parse(String line) {
        try (JsonParser parser = JSON.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            AuditRecord event = read(parser);
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("unexpected content after the event object");
            }
            return event;
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
    }

    /** A parser over a whole export: its root values are read one by one with {@link #read(JsonParser)}. */
    public static JsonParser parser(java.io.Reader export) throws IOException {
        return JSON.createParser(export);
    }

    /**
     * Reads one event object whose START_OBJECT the parser has just returned.
     *
     * @throws IllegalArgumentException when it is not an event object of this form
     */
    public static AuditRecord read(JsonParser parser) throws IOException {
        Long sequence = null;
        String eventId = null;
        String type = null;
        Instant occurredAt = null;
        Instant recordedAt = null;
        String producer = null;
        String subject = null;
        String sessionId = null;
        String clientId = null;
        String tokenId = null;
        String sourceIp = null;
        String validationFailure = null;
        TreeMap<String, String> attributes = new TreeMap<>();
        String previousHash = null;
        String hash = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "sequence" -> {
                    if (value != JsonToken.VALUE_NUMBER_INT) {
                        throw new IllegalArgumentException("sequence must be an integer");
                    }
                    sequence = parser.getLongValue();
                }
                case "event_id" -> eventId = string(parser, value, name);
                case "type" -> type = string(parser, value, name);
                case "occurred_at" -> occurredAt = instant(string(parser, value, name), name);
                case "recorded_at" -> recordedAt = instant(string(parser, value, name), name);
                case "producer" -> producer = string(parser, value, name);
                case "subject" -> subject = string(parser, value, name);
                case "session_id" -> sessionId = string(parser, value, name);
                case "client_id" -> clientId = string(parser, value, name);
                case "token_id" -> tokenId = string(parser, value, name);
                case "source_ip" -> sourceIp = string(parser, value, name);
                case "validation_failure" -> validationFailure = string(parser, value, name);
                case "attributes" -> readAttributes(parser, value, attributes);
                case "previous_hash" -> previousHash = string(parser, value, name);
                case "hash" -> hash = string(parser, value, name);
                default -> throw new IllegalArgumentException("unknown member \"" + name + "\"");
            }
        }
        if (sequence == null || eventId == null || type == null || occurredAt == null || recordedAt == null || previousHash == null
                || hash == null) {
            throw new IllegalArgumentException("an event needs sequence, event_id, type, occurred_at, recorded_at, previous_hash and hash");
        }
        return new AuditRecord(sequence, eventId, type, occurredAt, recordedAt, producer, subject, sessionId, clientId, tokenId,
                sourceIp, validationFailure, attributes, previousHash, hash);
    }

    private static void readAttributes(JsonParser parser, JsonToken value, Map<String, String> into) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("attributes must be an object");
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            JsonToken v = parser.nextToken();
            if (v != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException("attribute \"" + key + "\" must be a string");
            }
            if (into.put(key, parser.getText()) != null) {
                throw new IllegalArgumentException("attribute \"" + key + "\" appears twice");
            }
        }
    }

    /** The form this class writes, {@code 2025-03-01T10:00:00.123456Z}, read without a formatter (a million lines add up); null otherwise. */
    static Instant exactTime(String t) {
        if (t.length() != 27 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':' || t.charAt(16) != ':'
                || t.charAt(19) != '.' || t.charAt(26) != 'Z') {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 7);
        int day = digits(t, 8, 10);
        int hour = digits(t, 11, 13);
        int minute = digits(t, 14, 16);
        int second = digits(t, 17, 19);
        int micros = digits(t, 20, 26);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59 || micros < 0) {
            return null;
        }
        try {
            return java.time.LocalDateTime.of(year, month, day, hour, minute, second, micros * 1000).toInstant(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    private static int digits(String t, int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static String string(JsonParser parser, JsonToken value, String name) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(name + " must be a string");
        }
        return parser.getText();
    }

    private static Instant instant(String text, String name) {
        Instant fast = exactTime(text);
        if (fast != null) {
            return fast;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " is not an ISO-8601 instant");
        }
    }
}
