package dev.lifespan.issuer.http;

import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.support.http.RequestAddress;
import dev.lifespan.issuer.oauth2.TokenRevocation;
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

/** {@code POST /oauth2/revoke} (RFC 7009), by the client that holds the token. */
@Path("/oauth2/revoke")
public class RevocationResource {
    private final TokenRevocation revocation;
    private final ClientRegistry clients;

    public RevocationResource(TokenRevocation revocation, ClientRegistry clients) {
        this.revocation = revocation;
        this.clients = clients;
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> revoke(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization,
            @Context HttpServerRequest http) {
        try {
            AuthenticatedTokenRequest request = AuthenticatedTokenRequest.of(form, authorization, RequestAddress.of(http), clients);
            return revocation.revoke(request.token(), request.caller())
                    .map(ignored -> Response.ok().header("Cache-Control", "no-store").build())
                    .onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }
}
