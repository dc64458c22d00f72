package dev.lifespan.issuer.http;

import dev.lifespan.issuer.client.LifespanScopes;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.key.PublishedKeys;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Request;
import jakarta.ws.rs.core.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Discovery: the JWKS (RFC 7517) and the authorization server metadata (RFC 8414 / OpenID Discovery). */
@Path("/.well-known")
public class WellKnownResource {
    private final PublishedKeys keys;
    private final LifespanConfig config;

    public WellKnownResource(PublishedKeys keys, LifespanConfig config) {
        this.keys = keys;
        this.config = config;
    }

    /**
     * Cached for less than the pre-publication lead, so a cache always holds the next key before it signs; with an
     * entity tag, so a cache that asks again with {@code If-None-Match} gets 304 and no body while the keys stay.
     */
    @GET
    @Path("/jwks.json")
    @Produces({"application/jwk-set+json", MediaType.APPLICATION_JSON})
    public Response jwks(@Context Request request) {
        PublishedKeys.Jwks jwks = keys.jwks();
        EntityTag tag = new EntityTag(jwks.etag());
        Response.ResponseBuilder unchanged = request.evaluatePreconditions(tag);
        return (unchanged != null ? unchanged : Response.ok(jwks.json())).tag(tag)
                .header("Cache-Control", "public, max-age=" + jwks.maxAgeSeconds())
                .build();
    }

    /** The same metadata at RFC 8414's own address, where OAuth 2.0 clients that are not OpenID clients look. */
    @GET
    @Path("/oauth-authorization-server")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> authorizationServerMetadata() {
        return openIdConfiguration();
    }

    @GET
    @Path("/openid-configuration")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> openIdConfiguration() {
        String issuer = config.issuer();
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("issuer", issuer);
        metadata.put("jwks_uri", issuer + "/.well-known/jwks.json");
        metadata.put("token_endpoint", issuer + "/oauth2/token");
        metadata.put("revocation_endpoint", issuer + "/oauth2/revoke");
        metadata.put("introspection_endpoint", issuer + "/oauth2/introspect");
        metadata.put("grant_types_supported", List.of("refresh_token", "client_credentials"));
        metadata.put("token_endpoint_auth_methods_supported", List.of("client_secret_basic", "client_secret_post", "none"));
        metadata.put("response_types_supported", List.of());
        // Only what a relying party can use: the scopes clients are given, without Lifespan's own administrative
        // ones, and the algorithms of the keys published now (the JWKS), not every algorithm the issuer could use.
        metadata.put("scopes_supported", new TreeSet<>(config.clients().values().stream()
                .flatMap(c -> c.scopes().stream()).filter(scope -> !LifespanScopes.ADMINISTRATIVE.contains(scope)).toList()));
        metadata.put("access_token_signing_alg_values_supported", keys.algorithms());
        return metadata;
    }
}
