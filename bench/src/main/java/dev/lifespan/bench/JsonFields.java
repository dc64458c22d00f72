package dev.lifespan.bench;

import java.util.HashMap;
import java.util.Map;

/**
 * Reads the top-level scalar members of a JSON object, enough for an RFC 6749 token response
 * ({@code access_token}, {@code refresh_token}, {@code expires_in}, {@code error}) without a JSON library.
 * Nested objects and arrays are skipped, strings are unescaped, numbers and literals are kept as written.
 */
final class JsonFields {

    private final String json;
    private int pos;

    private JsonFields(String json) {
        this.json = json;
    }

    /** Top-level members whose value is a string, number, boolean or null (as "null"). */
    static Map<String, String> topLevelScalars(String json) {
        JsonFields parser = new JsonFields(json);
        Map<String, String> fields = new HashMap<>();
        parser.skipWhitespace();
        parser.expect('{');
        parser.skipWhitespace();
        if (parser.peek() == '}') {
            return fields;
        }
        while (true) {
            parser.skipWhitespace();
            String name = parser.readString();
            parser.skipWhitespace();
            parser.expect(':');
            parser.skipWhitespace();
            char c = parser.peek();
            if (c == '"') {
                fields.put(name, parser.readString());
            } else if (c == '{' || c == '[') {
                parser.skipValue();
            } else {
                int start = parser.pos;
                parser.skipValue();
                fields.put(name, json.substring(start, parser.pos));
            }
            parser.skipWhitespace();
            char next = parser.next();
            if (next == '}') {
                return fields;
            }
            if (next != ',') {
                throw parser.error("expected ',' or '}'");
            }
        }
    }

    private void skipValue() {
        char c = peek();
        switch (c) {
            case '"' -> readString();
            case '{', '[' -> {
                char close = c == '{' ? '}' : ']';
                pos++;
                skipWhitespace();
                if (peek() == close) {
                    pos++;
                    return;
                }
                while (true) {
                    skipWhitespace();
                    if (close == '}') {
                        readString();
                        skipWhitespace();
                        expect(':');
                        skipWhitespace();
                    }
                    skipValue();
                    skipWhitespace();
                    char next = next();
                    if (next == close) {
                        return;
                    }
                    if (next != ',') {
                        throw error("expected ',' or '" + close + "'");
                    }
                }
            }
            default -> {
                int start = pos;
                while (pos < json.length() && "+-.0123456789eEtruefalsn".indexOf(json.charAt(pos)) >= 0) {
                    pos++;
                }
                if (pos == start) {
                    throw error("unexpected character");
                }
            }
        }
    }

    private String readString() {
        expect('"');
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = next();
            if (c == '"') {
                return out.toString();
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > json.length()) {
                        throw error("short \\u escape");
                    }
                    out.append((char) Integer.parseInt(json.substring(pos, pos + 4), 16));
                    pos += 4;
                }
                default -> throw error("bad escape");
            }
        }
    }

    private void skipWhitespace() {
        while (pos < json.length() && Character.isWhitespace(json.charAt(pos))) {
            pos++;
        }
    }

    private char peek() {
        if (pos >= json.length()) {
            throw error("unexpected end");
        }
        return json.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (next() != c) {
            pos--;
            throw error("expected '" + c + "'");
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("not a JSON object: " + what + " at offset " + pos);
    }
}
