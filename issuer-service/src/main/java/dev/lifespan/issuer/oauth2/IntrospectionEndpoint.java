package dev.lifespan.issuer.oauth2;

import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.support.error.ServiceException;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

import java.util.Map;

/**
 * {@code POST /oauth2/introspect} (RFC 7662) and {@code POST /oauth2/revoke} (RFC 7009). Callers
 * authenticate as clients; introspection is for confidential clients (resource servers) only.
 */
@Path("/oauth2")
public class IntrospectionEndpoint {
    private final TokenInspector inspector;
    private final ClientRegistry clients;

    public IntrospectionEndpoint(TokenInspector inspector, ClientRegistry clients) {
        this.inspector = inspector;
        this.clients = clients;
    }

    @POST
    @Path("/introspect")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> introspect(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization) {
        try {
            TokenRequest request = parse(form, authorization);
            if (!request.caller().confidential()) {
                throw ServiceException.invalidClient("introspection requires a confidential client");
            }
            return inspector.introspect(request.token(), request.caller())
                    .map(answer -> Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store").build())
                    .onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }

    @POST
    @Path("/revoke")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> revoke(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization) {
        try {
            TokenRequest request = parse(form, authorization);
            return inspector.revoke(request.token(), request.caller())
                    .map(ignored -> Response.ok().header("Cache-Control", "no-store").build())
                    .onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }

    /** Both endpoints take an authenticated client and a {@code token}. */
    private record TokenRequest(RegisteredClient caller, String token) {
    }

    private TokenRequest parse(MultivaluedMap<String, String> form, String authorization) {
        Map<String, String> params = TokenEndpoint.single(form);
        ClientCredentials credentials = ClientCredentials.from(authorization, params.get("client_id"), params.get("client_secret"));
        RegisteredClient caller = clients.authenticate(credentials.clientId(), credentials.clientSecret());
        String token = params.get("token");
        if (token == null) {
            throw ServiceException.invalidField("token", "is required");
        }
        return new TokenRequest(caller, token);
    }
}
