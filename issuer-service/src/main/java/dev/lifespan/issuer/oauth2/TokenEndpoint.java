package dev.lifespan.issuer.oauth2;

import dev.lifespan.api.v1.AccessToken;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.issuer.session.RefreshCommand;
import dev.lifespan.issuer.session.RefreshTokenRotation;
import dev.lifespan.issuer.token.ServiceTokens;
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

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /oauth2/token} (RFC 6749): the {@code refresh_token} and {@code client_credentials}
 * grants. Each grant is a small handler; errors become RFC 6749 bodies in {@link OAuthErrors}.
 */
@Path("/oauth2/token")
public class TokenEndpoint {
    private static final Set<String> KNOWN_PARAMETERS = Set.of("grant_type", "refresh_token", "client_id", "client_secret", "scope",
            "device_id", "audience", "token", "token_type_hint");
    private static final int MAX_PARAMETER_LENGTH = 2048;

    private final RefreshTokenRotation rotation;
    private final ServiceTokens serviceTokens;

    public TokenEndpoint(RefreshTokenRotation rotation, ServiceTokens serviceTokens) {
        this.rotation = rotation;
        this.serviceTokens = serviceTokens;
    }

    @POST
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> token(MultivaluedMap<String, String> form, @HeaderParam("Authorization") String authorization,
            @Context HttpServerRequest http) {
        try {
            Map<String, String> params = single(form);
            String grantType = params.get("grant_type");
            if (grantType == null) {
                throw ServiceException.invalidField("grant_type", "is required");
            }
            String sourceIp = http.remoteAddress() == null ? null : http.remoteAddress().hostAddress();
            ClientCredentials client = ClientCredentials.from(authorization, params.get("client_id"), params.get("client_secret"));
            Uni<Response> response = switch (grantType) {
                case "refresh_token" -> rotation.refresh(new RefreshCommand(params.get("refresh_token"), client.clientId(),
                                client.clientSecret(), params.get("device_id"), scopes(params.get("scope")), sourceIp))
                        .map(pair -> ok(pair.getAccessToken(), pair.getRefreshToken().getToken()));
                case "client_credentials" -> serviceTokens.issue(new ServiceTokens.Command(client.clientId(), client.clientSecret(),
                                scopes(params.get("scope")), scopes(params.get("audience")), sourceIp))
                        .map(token -> ok(token, null));
                default -> throw new ServiceException(ErrorKind.UNSUPPORTED_GRANT_TYPE, "grant_type " + grantType + " is not supported");
            };
            return response.onFailure().recoverWithItem(OAuthErrors::toResponse);
        } catch (RuntimeException e) {
            return Uni.createFrom().item(OAuthErrors.toResponse(e));
        }
    }

    /** RFC 6749 section 3.2: parameters must not repeat; unknown ones are ignored but still bounded. */
    static Map<String, String> single(MultivaluedMap<String, String> form) {
        Map<String, String> params = new LinkedHashMap<>();
        if (form == null) {
            return params;
        }
        if (form.size() > 32) {
            throw ServiceException.invalidField("form", "has more than 32 parameters");
        }
        form.forEach((name, values) -> {
            if (values.size() > 1) {
                throw ServiceException.invalidField(name, "is repeated; RFC 6749 allows each parameter once");
            }
            String value = values.isEmpty() ? "" : values.get(0);
            if (value.length() > MAX_PARAMETER_LENGTH) {
                throw ServiceException.invalidField(name, "is longer than " + MAX_PARAMETER_LENGTH + " characters");
            }
            if (KNOWN_PARAMETERS.contains(name) && !value.isEmpty()) {
                params.put(name, value);
            }
        });
        return params;
    }

    static List<String> scopes(String scope) {
        return scope == null || scope.isBlank() ? List.of() : Arrays.stream(scope.trim().split(" +")).toList();
    }

    private static Response ok(AccessToken access, String refreshToken) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("access_token", access.getToken());
        body.put("token_type", "Bearer");
        body.put("expires_in", access.getExpiresInSeconds());
        if (refreshToken != null) {
            body.put("refresh_token", refreshToken);
        }
        body.put("scope", String.join(" ", access.getScopesList()));
        return Response.ok(body, MediaType.APPLICATION_JSON_TYPE)
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache")
                .build();
    }
}
