package dev.lifespan.audit.event;

import com.google.protobuf.Timestamp;
import dev.lifespan.support.input.ProtoTime;

import java.time.Instant;
import java.util.regex.Pattern;

/** Field checks shared by every request: bounded lengths, no control characters, well-formed times and ids. */
public final class Inputs {
    /** Earliest instant accepted anywhere: anything before is a producer bug, not an event. */
    public static final Instant EARLIEST = Instant.parse("2000-01-01T00:00:00Z");
    /** A compact JWS/JWT: a JSON header always encodes to "eyJ". */
    private static final Pattern JWT = Pattern.compile("eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*");
    /**
     * Lifespan's opaque refresh and single-use tokens: prefix and 43 or more base64url characters (256 random bits, after a
     * refresh token's session and tag).
     */
    private static final Pattern OPAQUE = Pattern.compile("ls[ru]_[A-Za-z0-9_-]{43}");

    private Inputs() {
    }

    /** Checks an optional text field: at most {@code max} characters, no control characters; returns it ("" when absent). */
    public static String text(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        int length = value.codePointCount(0, value.length());
        if (length > max) {
            throw new InvalidInput(field, field + " is longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new InvalidInput(field, field + " contains a control character");
            }
        }
        noRawToken(field, value);
        return value;
    }

    /** Checks a free-text value: like {@link #text} but tabs and line breaks are allowed. */
    public static String freeText(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        if (value.codePointCount(0, value.length()) > max) {
            throw new InvalidInput(field, field + " is longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) && c != '\t' && c != '\n' && c != '\r') {
                throw new InvalidInput(field, field + " contains a control character other than tab or line break");
            }
        }
        noRawToken(field, value);
        return value;
    }

    /**
     * Refuses anything that looks like a raw token: events carry token ids ({@code jti}), session ids and hashes, never
     * a token (CONTRACT section 2), and the audit trail is kept for months where anyone with read access sees it.
     */
    public static void noRawToken(String field, String value) {
        if (value.contains("eyJ") && JWT.matcher(value).find()) {
            throw new InvalidInput(field, field + " looks like a raw token (a JWT); audit events carry token ids, never tokens");
        }
        if ((value.contains("lsr_") || value.contains("lsu_")) && OPAQUE.matcher(value).find()) {
            throw new InvalidInput(field, field + " looks like a raw refresh or single-use token; audit events carry token ids, never tokens");
        }
    }

    /** A required UUID, returned in lowercase canonical form. */
    public static String uuid(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidInput(field, field + " is required");
        }
        if (!isUuid(value)) {
            throw new InvalidInput(field, field + " is not a UUID (8-4-4-4-12 hexadecimal digits)");
        }
        return value.toLowerCase(java.util.Locale.ROOT);
    }

    /** 8-4-4-4-12 hexadecimal digits (checked by hand: this runs for every recorded event). */
    static boolean isUuid(String value) {
        if (value.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = value.charAt(i);
            boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
            if (dash ? c != '-' : !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }

    /**
     * A protobuf timestamp as an instant: a valid time as every service reads one ({@link ProtoTime}), and not before
     * {@link #EARLIEST}, older than anything Lifespan records.
     */
    public static Instant timestamp(String field, Timestamp value) {
        Instant instant = ProtoTime.instant(field, true, value);
        if (instant.isBefore(EARLIEST)) {
            throw new InvalidInput(field, field + " is before " + EARLIEST);
        }
        return instant;
    }

    /** A non-negative number. */
    public static long notNegative(String field, long value) {
        if (value < 0) {
            throw new InvalidInput(field, field + " is negative; it must be 0 or more");
        }
        return value;
    }

    /** A limit in 1..max, with 0 meaning {@code fallback}. */
    public static int limit(String field, long value, int max, int fallback) {
        if (value < 0) {
            throw new InvalidInput(field, field + " is negative; it must be between 1 and " + max + " (0 means " + fallback + ")");
        }
        if (value > max) {
            throw new InvalidInput(field, field + " is " + value + "; at most " + max + " are allowed");
        }
        return value == 0 ? fallback : (int) value;
    }
}
