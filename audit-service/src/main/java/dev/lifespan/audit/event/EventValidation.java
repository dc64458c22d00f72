package dev.lifespan.audit.event;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.EventType;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.audit.verifier.AuditRecord;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Turns the events of a {@code Record} call into unchained records, or refuses the whole batch with a sentence naming
 * the first bad field and its bound. Every string and list has a bound (CONTRACT section 9); nothing that looks like
 * a raw token, secret or token hash is let in.
 */
public final class EventValidation {
    public static final int MAX_EVENTS = 1000;
    public static final int MAX_PRODUCER = 64;
    public static final int MAX_SUBJECT = 255;
    public static final int MAX_SESSION = 64;
    public static final int MAX_CLIENT = 128;
    public static final int MAX_TOKEN_ID = 64;
    public static final int MAX_SOURCE_IP = 64;
    public static final int MAX_ATTRIBUTES = 32;
    public static final int MAX_ATTRIBUTE_KEY = 64;
    public static final int MAX_ATTRIBUTE_VALUE = 1024;
    /** Attribute names that would carry a credential or its hash; refused whatever the value. */
    private static final Pattern SECRET_KEY = Pattern.compile("(.*_)?(token|secret|password|pepper|token_hash|secret_hash|credential)s?");

    private EventValidation() {
    }

    /**
     * The events as records without chain fields (sequence 0, empty hashes, {@code recorded_at} set to
     * {@code occurred_at} until the store appends them), in request order, times at microsecond precision.
     */
    public static List<AuditRecord> validate(List<AuditEvent> events, Instant now, Duration maxClockAhead) {
        if (events.size() > MAX_EVENTS) {
            throw new InvalidInput("events", "events holds " + events.size() + " events; at most " + MAX_EVENTS + " are allowed");
        }
        Instant latest = now.plus(maxClockAhead);
        List<AuditRecord> records = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            records.add(validate("events[" + i + "]", events.get(i), latest, maxClockAhead));
        }
        return records;
    }

    private static AuditRecord validate(String at, AuditEvent event, Instant latest, Duration maxClockAhead) {
        String eventId = Inputs.uuid(at + ".event_id", event.getEventId());
        if (event.getType() == EventType.EVENT_TYPE_UNSPECIFIED) {
            throw new InvalidInput(at + ".type", at + ".type is required");
        }
        if (event.getType() == EventType.UNRECOGNIZED) {
            throw new InvalidInput(at + ".type", at + ".type is not a known event type");
        }
        if (!event.hasOccurredAt()) {
            throw new InvalidInput(at + ".occurred_at", at + ".occurred_at is required");
        }
        Instant occurredAt = Inputs.timestamp(at + ".occurred_at", event.getOccurredAt()).truncatedTo(ChronoUnit.MICROS);
        if (occurredAt.isAfter(latest)) {
            throw new InvalidInput(at + ".occurred_at", at + ".occurred_at is more than " + maxClockAhead.toSeconds()
                    + " s ahead of the audit service's clock");
        }
        String failure = "";
        if (event.getValidationFailure() == ValidationFailure.UNRECOGNIZED) {
            throw new InvalidInput(at + ".validation_failure", at + ".validation_failure is not a known reason");
        }
        if (event.getValidationFailure() != ValidationFailure.VALIDATION_FAILURE_UNSPECIFIED) {
            if (event.getType() != EventType.VALIDATION_FAILED) {
                throw new InvalidInput(at + ".validation_failure", at + ".validation_failure is only allowed on VALIDATION_FAILED events");
            }
            failure = event.getValidationFailure().name();
        }
        return new AuditRecord(0, eventId, event.getType().name(), occurredAt, occurredAt,
                Inputs.text(at + ".producer", event.getProducer(), MAX_PRODUCER),
                Inputs.text(at + ".subject", event.getSubject(), MAX_SUBJECT),
                Inputs.text(at + ".session_id", event.getSessionId(), MAX_SESSION),
                Inputs.text(at + ".client_id", event.getClientId(), MAX_CLIENT),
                Inputs.text(at + ".token_id", event.getTokenId(), MAX_TOKEN_ID),
                Inputs.text(at + ".source_ip", event.getSourceIp(), MAX_SOURCE_IP),
                failure, attributes(at + ".attributes", event.getAttributesMap()), "", "");
    }

    /** 1-64 of {@code [A-Za-z0-9_.:-]}: ASCII, so its sort order is the canonical encoding's byte order too. */
    static boolean isAttributeKey(String key) {
        if (key.isEmpty() || key.length() > MAX_ATTRIBUTE_KEY) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static TreeMap<String, String> attributes(String at, Map<String, String> attributes) {
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw new InvalidInput(at, at + " holds " + attributes.size() + " pairs; at most " + MAX_ATTRIBUTES + " are allowed");
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            String key = e.getKey();
            if (!isAttributeKey(key)) {
                throw new InvalidInput(at, at + " has a key that is not 1-" + MAX_ATTRIBUTE_KEY
                        + " letters, digits, '_', '.', ':' or '-'");
            }
            if (SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT).replace('-', '_').replace('.', '_').replace(':', '_')).matches()) {
                throw new InvalidInput(at + "[" + key + "]", at + "[" + key + "] is not allowed: audit events never carry tokens, secrets or their hashes");
            }
            sorted.put(key, Inputs.freeText(at + "[" + key + "]", e.getValue(), MAX_ATTRIBUTE_VALUE));
        }
        return sorted;
    }
}
