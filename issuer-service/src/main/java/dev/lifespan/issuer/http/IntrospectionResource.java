package dev.lifespan.issuer.http;

import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.support.http.RequestAddress;
import dev.lifespan.issuer.oauth2.Introspection;
import dev.lifespan.support.error.ServiceException;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;

/** {@code POST /oauth2/introspect} (RFC 7662), for confidential clients (resource servers) only. */
@Path("/oauth2/introspect")
public class IntrospectionResource {
    private final Introspection introspection;
    private final ClientRegistry clients;

    public IntrospectionResource(Introspection introspection, ClientRegistry clients) {
        this.introspection = introspection;
        this.clients = clients;
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> introspect(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization,
            @Context HttpServerRequest http) {
        try {
            AuthenticatedTokenRequest request = AuthenticatedTokenRequest.of(form, authorization, RequestAddress.of(http), clients);
            if (!request.caller().confidential()) {
                throw ServiceException.invalidClient("introspection requires a confidential client");
            }
            return introspection.introspect(request.token(), request.caller())
                    .map(answer -> Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).header("Cache-Control", "no-store").build())
                    .onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }
}
