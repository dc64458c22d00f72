package dev.lifespan.issuer.http;

import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.support.error.ServiceException;
import jakarta.ws.rs.core.MultivaluedMap;

import java.util.Map;

/**
 * What introspection (RFC 7662) and revocation (RFC 7009) both receive: an authenticated client and a {@code token}.
 */
record AuthenticatedTokenRequest(RegisteredClient caller, String token) {

    static AuthenticatedTokenRequest of(MultivaluedMap<String, String> form, String authorization, String sourceIp, ClientRegistry clients) {
        Map<String, String> params = FormParameters.of(form);
        ClientCredentials credentials = ClientCredentials.from(authorization, params.get("client_id"), params.get("client_secret"));
        RegisteredClient caller = clients.authenticate(credentials.clientId(), credentials.clientSecret(), sourceIp);
        String token = params.get("token");
        if (token == null) {
            throw ServiceException.invalidField("token", "is required");
        }
        return new AuthenticatedTokenRequest(caller, token);
    }
}
