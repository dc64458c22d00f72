package dev.lifespan.issuer.http;

import dev.lifespan.support.error.ServiceException;
import jakarta.ws.rs.core.MultivaluedMap;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The form body of every OAuth2 endpoint (RFC 6749 section 3.2): each parameter at most once, bounded; unknown
 * parameters ignored but still bounded, and at most 32 of them.
 */
final class FormParameters {
    static final Set<String> KNOWN = Set.of("grant_type", "refresh_token", "client_id", "client_secret", "scope", "device_id",
            "audience", "token", "token_type_hint");
    static final int MAX_PARAMETERS = 32;
    static final int MAX_LENGTH = 2048;

    private FormParameters() {
    }

    /** The known parameters that are present and not empty. */
    static Map<String, String> of(MultivaluedMap<String, String> form) {
        Map<String, String> params = new LinkedHashMap<>();
        if (form == null) {
            return params;
        }
        if (form.size() > MAX_PARAMETERS) {
            throw ServiceException.invalidField("form", "has more than " + MAX_PARAMETERS + " parameters");
        }
        form.forEach((name, values) -> {
            if (values.size() > 1) {
                throw ServiceException.invalidField(name, "is repeated; RFC 6749 allows each parameter once");
            }
            String value = values.isEmpty() ? "" : values.get(0);
            if (value.length() > MAX_LENGTH) {
                throw ServiceException.invalidField(name, "is longer than " + MAX_LENGTH + " characters");
            }
            if (KNOWN.contains(name) && !value.isEmpty()) {
                params.put(name, value);
            }
        });
        return params;
    }

    /** A space-separated list ({@code scope}, {@code audience}); empty when absent. */
    static List<String> words(String spaceSeparated) {
        return spaceSeparated == null || spaceSeparated.isBlank() ? List.of() : Arrays.stream(spaceSeparated.trim().split(" +")).toList();
    }
}
