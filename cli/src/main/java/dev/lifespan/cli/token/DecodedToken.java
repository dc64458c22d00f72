package dev.lifespan.cli.token;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

/**
 * A compact JWS read without trusting it: the header and the claims as they are written, nothing verified. Keeps no
 * copy of the signature; {@link #abbreviated} is the only form of the token itself that may be shown.
 *
 * @param header      the JOSE header
 * @param claims      the payload
 * @param abbreviated the first characters of the token and its length, never enough to use it
 * @param length      characters in the token
 */
public record DecodedToken(ObjectNode header, ObjectNode claims, String abbreviated, int length) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SHOWN = 12;

    /** The token's header and claims, or why they cannot be read. */
    public static DecodedToken decode(String token) {
        String abbreviated = token.length() <= SHOWN ? "(" + token.length() + " characters)" : token.substring(0, SHOWN) + "… (" + token.length() + " characters)";
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) {
            throw new IllegalArgumentException("not a compact JWS: " + parts.length + " segment(s) where three, separated by dots, are expected");
        }
        return new DecodedToken(object("header", parts[0]), object("payload", parts[1]), abbreviated, token.length());
    }

    private static ObjectNode object(String what, String segment) {
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(segment);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the " + what + " is not base64url");
        }
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException("the " + what + " is not JSON");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("the " + what + " is not a JSON object");
        }
        return (ObjectNode) node;
    }

    /** A claim as text (arrays joined by spaces), if present. */
    public Optional<String> text(String claim) {
        JsonNode node = claims.get(claim);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (node.isArray()) {
            StringBuilder joined = new StringBuilder();
            node.forEach(n -> joined.append(joined.isEmpty() ? "" : " ").append(n.asText()));
            return Optional.of(joined.toString());
        }
        return Optional.of(node.asText());
    }

    /** The first audience, the one {@code --validate} checks by default. */
    public Optional<String> firstAudience() {
        JsonNode aud = claims.get("aud");
        if (aud == null) {
            return Optional.empty();
        }
        return aud.isArray() ? (aud.isEmpty() ? Optional.empty() : Optional.of(aud.get(0).asText())) : Optional.of(aud.asText());
    }
}
