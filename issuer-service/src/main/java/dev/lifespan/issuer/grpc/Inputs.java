package dev.lifespan.issuer.grpc;

import dev.lifespan.support.error.ServiceException;

import java.util.List;

/**
 * Bounds every string and list that comes from outside. Violations are INVALID_ARGUMENT /
 * {@code invalid_request} naming the field; nothing is changed before they are checked.
 */
public final class Inputs {
    public static final int ID = 128;
    public static final int SUBJECT = 255;
    public static final int SHORT = 64;
    public static final int REASON = 256;
    public static final int SECRET = 256;
    public static final int TOKEN = 128;

    private Inputs() {
    }

    /** A required single-line value of at most {@code max} characters. */
    public static String required(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            throw ServiceException.invalidField(field, "required");
        }
        return optional(field, value, max);
    }

    /** An optional single-line value; empty becomes null. */
    public static String optional(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > max) {
            throw ServiceException.invalidField(field, "longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw ServiceException.invalidField(field, "contains control characters");
            }
        }
        return value;
    }

    /** A list of at most {@code maxItems} words (no spaces) of at most {@code maxLength} characters each. */
    public static List<String> words(String field, List<String> values, int maxItems, int maxLength) {
        if (values.size() > maxItems) {
            throw ServiceException.invalidField(field, "more than " + maxItems + " values");
        }
        for (String value : values) {
            required(field, value, maxLength);
            if (value.indexOf(' ') >= 0) {
                throw ServiceException.invalidField(field, "values must not contain spaces");
            }
        }
        return values.stream().distinct().toList();
    }
}
