package dev.lifespan.validator.guard;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.validator.VerifiedClaims;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.annotation.Priority;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import org.jboss.resteasy.mock.MockDispatcherFactory;
import org.jboss.resteasy.mock.MockHttpRequest;
import org.jboss.resteasy.mock.MockHttpResponse;
import org.jboss.resteasy.spi.Dispatcher;
import org.jboss.resteasy.spi.HttpRequest;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JAX-RS filter inside a real JAX-RS runtime (RESTEasy's in-memory dispatcher): RFC 6750 refusals with the
 * reason, and the caller's identity for the resource once the token checks out.
 */
class BearerTokenFilterTest {
    private final GuardTokens tokens = new GuardTokens();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final BearerAuthenticator authenticator = new BearerAuthenticator(tokens.validator((claims, now) ->
            "sid-revoked".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOKED_SESSION)
                    : "sid-stale".equals(claims.sessionId()) ? Optional.of(ValidationFailure.REVOCATION_FEED_STALE) : Optional.empty()),
            new ValidationMetrics(registry));
    private final Orders orders = new Orders();

    BearerTokenFilterTest() throws Exception {
    }

    @Test
    void requestWithoutTokenGets401WithBareChallenge() throws Exception {
        MockHttpResponse response = get(filter(null), "/orders/me", null);

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(header(response, "WWW-Authenticate")).isEqualTo("Bearer realm=\"lifespan\"");
        assertThat(header(response, "Cache-Control")).isEqualTo("no-store");
        assertThat(header(response, "Content-Type")).startsWith("application/json");
        assertThat(response.getContentAsString()).isEqualTo("{\"error_description\":\"MISSING_CREDENTIALS: a bearer token is required\"}");
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void otherSchemeGets401WithBareChallenge() throws Exception {
        MockHttpResponse response = get(filter(null), "/orders/me", "Basic d2ViLWFwcDpzZWNyZXQ");

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(header(response, "WWW-Authenticate")).isEqualTo("Bearer realm=\"lifespan\"");
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void revokedTokenGets401InvalidTokenWithTheReason() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-revoked");
        String token = tokens.token(claims);

        MockHttpResponse response = get(filter(null), "/orders/me", "Bearer " + token);

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(header(response, "WWW-Authenticate"))
                .isEqualTo("Bearer realm=\"lifespan\", error=\"invalid_token\", error_description=\"the token's session has been revoked\"");
        assertThat(header(response, "Cache-Control")).isEqualTo("no-store");
        assertThat(response.getContentAsString())
                .isEqualTo("{\"error\":\"invalid_token\",\"error_description\":\"REVOKED_SESSION: the token's session has been revoked\"}");
        assertThat(orders.calls).hasValue(0);
        assertNoPartOfTheTokenIn(response, token);
    }

    @Test
    void tokenThatCannotBeCheckedNowGets503WithRetryAfterNot401() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("sid", "sid-stale");

        MockHttpResponse response = get(filter(null), "/orders/me", "Bearer " + tokens.token(claims));

        assertThat(response.getStatus()).isEqualTo(503);
        assertThat(header(response, "Retry-After")).isEqualTo("1");
        assertThat(header(response, "WWW-Authenticate")).isNull();
        assertThat(response.getContentAsString()).startsWith("{\"error\":\"temporarily_unavailable\",\"error_description\":\"REVOCATION_FEED_STALE: ");
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void expiredTokenGets401InvalidTokenWithTheReason() throws Exception {
        Map<String, Object> claims = GuardTokens.claims();
        claims.put("iat", GuardTokens.NOW.getEpochSecond() - 1000);
        claims.put("exp", GuardTokens.NOW.getEpochSecond() - 100);
        String token = tokens.token(claims);

        MockHttpResponse response = get(filter(null), "/orders/me", "Bearer " + token);

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(header(response, "WWW-Authenticate")).contains("error=\"invalid_token\", error_description=\"token has expired\"");
        assertThat(response.getContentAsString()).isEqualTo("{\"error\":\"invalid_token\",\"error_description\":\"EXPIRED: token has expired\"}");
        assertNoPartOfTheTokenIn(response, token);
    }

    @Test
    void tokenForAnotherAudienceGets401() throws Exception {
        BearerTokenFilter billing = new OrdersBearerTokenFilter(authenticator, "billing", null, Set.of());

        MockHttpResponse response = get(billing, "/orders/me", "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(response.getContentAsString()).startsWith("{\"error\":\"invalid_token\",\"error_description\":\"WRONG_AUDIENCE: ");
    }

    @Test
    void severalAuthorizationHeadersAreRefusedAsMalformed() throws Exception {
        String bearer = "Bearer " + tokens.token(GuardTokens.claims());
        MockHttpRequest request = MockHttpRequest.get("/orders/me").header("Authorization", bearer).header("Authorization", bearer);

        MockHttpResponse response = invoke(filter(null), request);

        assertThat(response.getStatus()).isEqualTo(401);
        assertThat(response.getContentAsString()).startsWith("{\"error\":\"invalid_token\",\"error_description\":\"MALFORMED: ");
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void validTokenWithoutTheRequiredScopeGets403InsufficientScope() throws Exception {
        MockHttpResponse response = get(filter("api.write"), "/orders/me", "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(response.getStatus()).isEqualTo(403);
        assertThat(header(response, "WWW-Authenticate"))
                .isEqualTo("Bearer realm=\"lifespan\", error=\"insufficient_scope\", scope=\"api.write\"");
        assertThat(header(response, "Cache-Control")).isEqualTo("no-store");
        assertThat(response.getContentAsString())
                .isEqualTo("{\"error\":\"insufficient_scope\",\"error_description\":\"INSUFFICIENT_SCOPE: scope api.write is required\"}");
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void validTokenReachesTheResourceAsItsSubject() throws Exception {
        MockHttpResponse response = get(filter("api.read"), "/orders/me", "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getContentAsString())
                .isEqualTo("alice scheme=Bearer api.read=true api.write=false secure=false claims=alice/jti-1/web-app principalClaims=true");
        assertThat(header(response, "WWW-Authenticate")).isNull();
        assertThat(orders.calls).hasValue(1);
    }

    @Test
    void securityContextKeepsWhetherTheRequestWasSecure() throws Exception {
        MockHttpResponse response = get(filter(null), "https://orders.example/orders/me", "Bearer " + tokens.token(GuardTokens.claims()));

        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getContentAsString()).contains("secure=true");
    }

    @Test
    void openPathPassesWithoutToken() throws Exception {
        BearerTokenFilter filter = new OrdersBearerTokenFilter(authenticator, "api", "api.read", Set.of("/health/"));

        for (String path : new String[] {"/health", "/health/live"}) {
            MockHttpResponse response = get(filter, path, null);

            assertThat(response.getStatus()).as(path).isEqualTo(200);
            assertThat(response.getContentAsString()).as(path).isEqualTo("UP, claims null");
        }
        assertThat(count("missing_credentials")).isZero();
    }

    @Test
    void openPrefixOpensNothingBesideOrAboveIt() throws Exception {
        // Before matching, so that paths no resource matches still reach the filter with their dot segments.
        BearerTokenFilter filter = new PreMatchingBearerTokenFilter(authenticator, "api", null, Set.of("/health"));

        for (String path : new String[] {"/healthz", "/orders/me", "/health/../orders/me", "/health/%2e%2e/orders/me"}) {
            MockHttpResponse response = get(filter, path, null);

            assertThat(response.getStatus()).as(path).isEqualTo(401);
            assertThat(header(response, "WWW-Authenticate")).as(path).isEqualTo("Bearer realm=\"lifespan\"");
        }
        assertThat(orders.calls).hasValue(0);
    }

    @Test
    void failuresAreCountedByReasonOncePerRequest() throws Exception {
        BearerTokenFilter filter = filter("api.read");
        Map<String, Object> revoked = GuardTokens.claims();
        revoked.put("sid", "sid-revoked");
        Map<String, Object> reader = GuardTokens.claims();
        reader.put("scope", "openid");
        String valid = "Bearer " + tokens.token(GuardTokens.claims());

        get(filter, "/orders/me", null);
        get(filter, "/orders/me", "Bearer " + tokens.token(revoked));
        get(filter, "/orders/me", "Bearer " + tokens.token(revoked));
        get(filter, "/orders/me", "Bearer not.a.token");
        get(filter, "/orders/me", "Bearer " + tokens.token(reader));
        get(filter, "/orders/me", valid);

        assertThat(count("missing_credentials")).isEqualTo(1);
        assertThat(count("revoked_session")).isEqualTo(2);
        assertThat(count("malformed")).isEqualTo(1);
        assertThat(count("insufficient_scope")).isEqualTo(1);
        assertThat(count("valid")).isEqualTo(1);
    }

    @Test
    void misconfigurationFailsAtConstruction() {
        assertThatThrownBy(() -> new BearerTokenFilter(authenticator, "", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BearerTokenFilter(authenticator, "api", "two scopes")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BearerTokenFilter(authenticator, "api", null, Set.of("/"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BearerTokenFilter(authenticator, "api", null, Set.of(" "))).isInstanceOf(IllegalArgumentException.class);
    }

    private BearerTokenFilter filter(String requiredScope) {
        return new OrdersBearerTokenFilter(authenticator, "api", requiredScope, Set.of());
    }

    private MockHttpResponse get(BearerTokenFilter filter, String uri, String authorization) throws Exception {
        MockHttpRequest request = MockHttpRequest.get(uri);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return invoke(filter, request);
    }

    /** A fresh runtime per request: the filter registered the way a service registers its subclass, by its @Priority. */
    private MockHttpResponse invoke(BearerTokenFilter filter, MockHttpRequest request) {
        Dispatcher dispatcher = MockDispatcherFactory.createDispatcher();
        dispatcher.getProviderFactory().registerProviderInstance(filter);
        dispatcher.getRegistry().addSingletonResource(orders);
        dispatcher.getRegistry().addSingletonResource(new Health());
        MockHttpResponse response = new MockHttpResponse();
        dispatcher.invoke(request, response);
        return response;
    }

    private static String header(MockHttpResponse response, String name) {
        Object value = response.getOutputHeaders().getFirst(name);
        return value == null ? null : value.toString();
    }

    private static void assertNoPartOfTheTokenIn(MockHttpResponse response, String token) throws Exception {
        String everything = response.getOutputHeaders() + " " + response.getContentAsString();
        for (String segment : token.split("\\.")) {
            assertThat(everything).doesNotContain(segment);
        }
    }

    private double count(String outcome) {
        return registry.get(ValidationMetrics.NAME).tag(ValidationMetrics.OUTCOME, outcome).counter().count();
    }

    /** How a service registers the filter: its own subclass, at the authentication priority. */
    @Priority(Priorities.AUTHENTICATION)
    static final class OrdersBearerTokenFilter extends BearerTokenFilter {
        OrdersBearerTokenFilter(BearerAuthenticator authenticator, String audience, String requiredScope, Set<String> open) {
            super(authenticator, audience, requiredScope, open);
        }
    }

    /** A service wanting authentication before resource matching (no 404 for an unknown path without a token). */
    @PreMatching
    @Priority(Priorities.AUTHENTICATION)
    static final class PreMatchingBearerTokenFilter extends BearerTokenFilter {
        PreMatchingBearerTokenFilter(BearerAuthenticator authenticator, String audience, String requiredScope, Set<String> open) {
            super(authenticator, audience, requiredScope, open);
        }
    }

    @Path("/orders")
    public static final class Orders {
        final AtomicInteger calls = new AtomicInteger();

        @GET
        @Path("me")
        @Produces(MediaType.TEXT_PLAIN)
        public String me(@Context SecurityContext security, @Context HttpRequest request) {
            calls.incrementAndGet();
            VerifiedClaims claims = (VerifiedClaims) request.getAttribute(BearerTokenFilter.CLAIMS_PROPERTY);
            boolean principalClaims = security.getUserPrincipal() instanceof BearerTokenFilter.BearerPrincipal principal
                    && principal.claims() == claims;
            return security.getUserPrincipal().getName()
                    + " scheme=" + security.getAuthenticationScheme()
                    + " api.read=" + security.isUserInRole("api.read")
                    + " api.write=" + security.isUserInRole("api.write")
                    + " secure=" + security.isSecure()
                    + " claims=" + claims.subject() + "/" + claims.tokenId() + "/" + claims.clientId()
                    + " principalClaims=" + principalClaims;
        }
    }

    @Path("/health")
    public static final class Health {
        @GET
        @Produces(MediaType.TEXT_PLAIN)
        public String health(@Context HttpRequest request) {
            return "UP, claims " + request.getAttribute(BearerTokenFilter.CLAIMS_PROPERTY);
        }

        @GET
        @Path("live")
        @Produces(MediaType.TEXT_PLAIN)
        public String live(@Context HttpRequest request) {
            return health(request);
        }
    }
}
