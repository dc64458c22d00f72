package dev.lifespan.issuer.key;

import dev.lifespan.validator.jose.Base64Url;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Key ids are RFC 7638 JWK thumbprints: derived from the public key, so a kid names exactly one key. */
final class KeyIds {
    private KeyIds() {
    }

    static String thumbprint(Map<String, String> requiredMembers) {
        // RFC 7638: the required members, lexicographically ordered, no whitespace. Values here
        // are base64url or fixed names, so they need no JSON escaping.
        String json = new TreeMap<>(requiredMembers).entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
                .collect(Collectors.joining(",", "{", "}"));
        return digest(json);
    }

    /** SHA-256 of the text's UTF-8 bytes, base64url. */
    static String digest(String text) {
        try {
            return Base64Url.encode(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
