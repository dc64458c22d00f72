package dev.lifespan.support.input;

import com.google.protobuf.ByteString;
import com.google.protobuf.ProtocolMessageEnum;
import dev.lifespan.support.error.ServiceException;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Bounds every string, list, byte string and enum that comes from outside, for every service. A violation is
 * INVALID_ARGUMENT / {@code invalid_request} naming the field and the bound in a sentence; nothing is changed
 * before the input is checked.
 */
public final class Inputs {
    /** Client ids, token ids, device ids, scopes. */
    public static final int ID = 128;
    /** Subjects and audiences. */
    public static final int SUBJECT = 255;
    /** Short codes: acr, amr, roles, profile names, session ids, source addresses. */
    public static final int SHORT = 64;
    /** Free-text reasons. */
    public static final int REASON = 256;
    /** Client secrets. */
    public static final int SECRET = 256;
    /** Opaque tokens (refresh, single-use). */
    public static final int TOKEN = 128;

    private Inputs() {
    }

    /** A reason this service writes itself (not an input), cut to {@link #REASON} characters. */
    public static String reason(String text) {
        return text.length() > REASON ? text.substring(0, REASON) : text;
    }

    /**
     * A value from outside as an error message may show it back: cut to {@code max} characters (then "..."), control
     * characters as "?", so a refusal can neither grow with its input nor break a log line.
     */
    public static String shown(String value, int max) {
        String cut = value.length() > max ? value.substring(0, max) + "..." : value;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /** A required single-line value of at most {@code max} characters. */
    public static String required(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            throw ServiceException.invalidField(field, "is required");
        }
        return optional(field, value, max);
    }

    /** An optional single-line value; empty becomes null. */
    public static String optional(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > max) {
            throw ServiceException.invalidField(field, "is longer than " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw ServiceException.invalidField(field, "contains control characters");
            }
        }
        return value;
    }

    /** A list of at most {@code maxItems} words (no spaces) of at most {@code maxLength} characters each; duplicates dropped. */
    public static List<String> words(String field, List<String> values, int maxItems, int maxLength) {
        if (values.size() > maxItems) {
            throw ServiceException.invalidField(field, "has more than " + maxItems + " values");
        }
        for (int i = 0; i < values.size(); i++) {
            String item = field + "[" + i + "]";
            required(item, values.get(i), maxLength);
            if (values.get(i).indexOf(' ') >= 0) {
                throw ServiceException.invalidField(item, "contains a space; give one value per entry");
            }
        }
        return values.stream().distinct().toList();
    }

    /** {@link #words}, each of which must be one of {@code allowed}. */
    public static List<String> wordsOf(String field, List<String> values, int maxItems, int maxLength, Set<String> allowed) {
        List<String> words = words(field, values, maxItems, maxLength);
        for (int i = 0; i < words.size(); i++) {
            if (!allowed.contains(words.get(i))) {
                throw ServiceException.invalidField(field + "[" + values.indexOf(words.get(i)) + "]",
                        "is " + words.get(i) + ", not one of " + sorted(allowed));
            }
        }
        return words;
    }

    /** An optional value that must be one of {@code allowed}; empty becomes null. */
    public static String optionalOf(String field, String value, int max, Set<String> allowed) {
        String checked = optional(field, value, max);
        if (checked != null && !allowed.contains(checked)) {
            throw ServiceException.invalidField(field, "is " + checked + ", not one of " + sorted(allowed));
        }
        return checked;
    }

    /** Bytes of at most {@code maxBytes}. */
    public static ByteString bytes(String field, ByteString value, int maxBytes) {
        if (value.size() > maxBytes) {
            throw ServiceException.invalidField(field, "is larger than " + maxBytes + " bytes");
        }
        return value;
    }

    /**
     * A protobuf enum field read by its number, so that a value this build does not know is refused rather than
     * mistaken for the default: null when unset (0) and optional.
     *
     * @param number    the raw number ({@code request.getXxxValue()})
     * @param forNumber the enum's {@code forNumber}
     */
    public static <E extends Enum<E> & ProtocolMessageEnum> E enumValue(String field, int number, IntFunction<E> forNumber,
            boolean required) {
        if (number == 0) {
            if (required) {
                throw ServiceException.invalidField(field, "is required");
            }
            return null;
        }
        E value = forNumber.apply(number);
        if (value == null) {
            E any = forNumber.apply(0);
            List<String> known = any == null ? List.of() : Arrays.stream(any.getDeclaringClass().getEnumConstants())
                    .filter(e -> !e.name().equals("UNRECOGNIZED") && e.getNumber() != 0).map(Enum::name).toList();
            throw ServiceException.invalidField(field, "is " + number + ", not a known value; known values are " + known);
        }
        return value;
    }

    private static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }
}
