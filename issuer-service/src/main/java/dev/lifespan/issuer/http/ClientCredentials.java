package dev.lifespan.issuer.http;

import dev.lifespan.support.error.ServiceException;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Client authentication as presented to the token endpoint: HTTP Basic (RFC 6749 section 2.3.1,
 * id and secret form-urlencoded inside), form parameters, or a bare {@code client_id} for public
 * clients. Using two methods at once is refused.
 */
record ClientCredentials(String clientId, String clientSecret) {

    static ClientCredentials from(String authorization, String formClientId, String formClientSecret) {
        if (authorization != null && !authorization.isEmpty()) {
            if (formClientSecret != null) {
                throw ServiceException.invalidField("client_secret", "is sent twice (HTTP Basic and form); use one client authentication method");
            }
            if (authorization.length() > 1024 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
                throw ServiceException.invalidClient("unsupported client authentication");
            }
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw ServiceException.invalidClient("malformed Basic credentials");
            }
            int colon = decoded.indexOf(':');
            if (colon < 0) {
                throw ServiceException.invalidClient("malformed Basic credentials");
            }
            String id = URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8);
            if (formClientId != null && !formClientId.equals(id)) {
                throw ServiceException.invalidField("client_id", "differs from the client authenticated by HTTP Basic");
            }
            return new ClientCredentials(id, URLDecoder.decode(decoded.substring(colon + 1), StandardCharsets.UTF_8));
        }
        if (formClientId == null) {
            throw ServiceException.invalidClient("client authentication required");
        }
        return new ClientCredentials(formClientId, formClientSecret);
    }
}
