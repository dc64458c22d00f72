package dev.lifespan.issuer.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.lifespan.issuer.session.RefreshCommand;
import dev.lifespan.issuer.session.RefreshTokenRotation;
import dev.lifespan.issuer.token.MintedToken;
import dev.lifespan.issuer.token.ServiceTokens;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.http.RequestAddress;
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

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * {@code POST /oauth2/token} (RFC 6749): the {@code refresh_token} and {@code client_credentials} grants, each handed
 * to its service; errors become RFC 6749 bodies in {@link OAuthErrors}.
 */
@Path("/oauth2/token")
public class TokenResource {
    private static final JsonFactory JSON = new JsonFactory();

    private final RefreshTokenRotation rotation;
    private final ServiceTokens serviceTokens;

    public TokenResource(RefreshTokenRotation rotation, ServiceTokens serviceTokens) {
        this.rotation = rotation;
        this.serviceTokens = serviceTokens;
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> token(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization,
            @Context HttpServerRequest http) {
        try {
            Map<String, String> params = FormParameters.of(form);
            String grantType = params.get("grant_type");
            if (grantType == null) {
                throw ServiceException.invalidField("grant_type", "is required");
            }
            String sourceIp = RequestAddress.of(http);
            ClientCredentials client = ClientCredentials.from(authorization, params.get("client_id"), params.get("client_secret"));
            Uni<Response> response = switch (grantType) {
                case "refresh_token" -> rotation.refresh(new RefreshCommand(params.get("refresh_token"), client.clientId(),
                                client.clientSecret(), params.get("device_id"), FormParameters.words(params.get("scope")), sourceIp, sourceIp))
                        .map(pair -> ok(pair.access(), pair.refreshToken()));
                case "client_credentials" -> serviceTokens.issue(new ServiceTokens.Command(client.clientId(), client.clientSecret(),
                                FormParameters.words(params.get("scope")), FormParameters.words(params.get("audience")), sourceIp, sourceIp))
                        .map(token -> ok(token, null));
                default -> throw new ServiceException(ErrorKind.UNSUPPORTED_GRANT_TYPE, "grant_type " + grantType + " is not supported");
            };
            return response.onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }

    /**
     * The RFC 6749 section 5.1 answer, its JSON streamed into bytes here: as a map handed to RESTEasy it went through
     * Jackson's databind serializers (looked up for each value's type) on every grant (bench/README section 4.0l:
     * Jackson fell from 7.9 % to 2.2 % of the issuer's samples per HTTP grant, its CPU per token by 14-16 %).
     */
    private static Response ok(MintedToken access, String refreshToken) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256 + access.token().length() + (refreshToken == null ? 0 : refreshToken.length()));
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("access_token", access.token());
            json.writeStringField("token_type", "Bearer");
            json.writeNumberField("expires_in", access.expiresInSeconds());
            if (refreshToken != null) {
                json.writeStringField("refresh_token", refreshToken);
            }
            json.writeStringField("scope", String.join(" ", access.scopes()));
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Response.ok(out.toByteArray(), MediaType.APPLICATION_JSON_TYPE)
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache")
                .build();
    }
}
