package dev.lifespan.validator.guard;

import dev.lifespan.validator.VerifiedClaims;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;

import java.security.Principal;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Requires a valid Lifespan access token on every JAX-RS request except those under the open path prefixes,
 * with the {@link BearerAuthenticator} decision the gRPC {@link BearerTokenInterceptor} uses too: this class
 * only turns that decision into an HTTP answer and never checks a token itself.
 *
 * <ul>
 *   <li>missing credentials (no {@code Authorization} header, or another scheme): 401 with the bare challenge
 *       {@code WWW-Authenticate: Bearer realm="lifespan"} and the body {@code {"error_description":"MISSING_CREDENTIALS: …"}}
 *       (no {@code error} member, as RFC 6750 §3.1 asks of a request that carried no credentials);</li>
 *   <li>an invalid token: 401, {@code WWW-Authenticate: Bearer realm="lifespan", error="invalid_token", error_description="…"},
 *       body {@code {"error":"invalid_token","error_description":"REVOKED_SESSION: the token's session has been revoked"}};</li>
 *   <li>a valid token without the required scope: 403, {@code error="insufficient_scope"} in both challenge and body;</li>
 *   <li>a token that cannot be checked now (the revocation feed is stale): 503 with {@code Retry-After} and
 *       {@code {"error":"temporarily_unavailable",…}}, an outage rather than bad credentials;</li>
 *   <li>otherwise the request goes on as the caller: the {@link SecurityContext} has the token's {@code sub} as
 *       principal name (a {@link BearerPrincipal} holding the claims), {@link SecurityContext#isUserInRole} answers
 *       whether the token carries that scope (so {@code @RolesAllowed("orders:write")} means a scope), the scheme is
 *       {@code Bearer}, {@code isSecure} is the original context's; the claims are also the request property
 *       {@link #CLAIMS_PROPERTY}.</li>
 * </ul>
 * Every refusal carries {@code Cache-Control: no-store}. Failures are counted by reason by the authenticator's
 * {@link OutcomeCounter} (for example {@link ValidationMetrics}), once per request.
 *
 * <p><b>Registering it.</b> The library registers nothing by itself (it is not a {@code @Provider}); a Quarkus
 * service declares its own subclass, which its JAX-RS runtime discovers (this jar carries a Jandex index) and
 * builds with constructor injection. Quarkus REST builds its providers while the application is being set up,
 * before runtime configuration exists, so hand over the authenticator as a {@link Supplier}: it is asked for on
 * the first request, and a validator made from runtime settings is fine:
 * <pre>{@code
 * @Provider
 * @Priority(Priorities.AUTHENTICATION)
 * public class OrdersBearerTokenFilter extends BearerTokenFilter {
 *     @Inject
 *     OrdersBearerTokenFilter(jakarta.inject.Provider<BearerAuthenticator> authenticator) {
 *         super(authenticator::get, "orders-api", null, Set.of("/health"));
 *     }
 * }
 * }</pre>
 * or produces an instance from a {@code Feature}/{@code DynamicFeature} with
 * {@code context.register(filter, Priorities.AUTHENTICATION)}. Without {@code @PreMatching} on the subclass, JAX-RS
 * runs it after resource matching, so an unknown path is still a 404 without a token; Quarkus' own
 * {@code /q/health} and {@code /q/metrics} are Vert.x routes that no JAX-RS filter sees.
 *
 * <p><b>Logs.</b> Never log the {@code Authorization} header or the token, here or in a subclass; the
 * {@link Authentication#reason()} and everything this filter puts in a response are free of it.
 *
 * <p>Thread-safe; one instance serves every request.
 */
public class BearerTokenFilter implements ContainerRequestFilter {
    /** The request property holding the caller's {@link VerifiedClaims} once authenticated. */
    public static final String CLAIMS_PROPERTY = "dev.lifespan.validator.guard.claims";
    /** The value of {@link SecurityContext#getAuthenticationScheme()} for a caller this filter let through. */
    public static final String BEARER = "Bearer";

    private final Supplier<BearerAuthenticator> authenticatorSource;
    private volatile BearerAuthenticator authenticator;
    private final String audience;
    private final String requiredScope;
    private final List<String> openPathPrefixes;

    /**
     * @param audience         the audience tokens must carry, this service's name (for example {@code orders-api})
     * @param requiredScope    a scope every request's token must carry, or null for a valid token only
     * @param openPathPrefixes paths, relative to the JAX-RS application, that need no token, each with what lies
     *                         beneath it ({@code /health} opens {@code /health} and {@code /health/live}, not
     *                         {@code /healthz}); {@code /} is refused, since it would open everything
     * @throws IllegalArgumentException on a missing audience, a scope that is not an RFC 6749 scope-token, or an
     *                                  open prefix that is blank or {@code /}
     */
    public BearerTokenFilter(BearerAuthenticator authenticator, String audience, String requiredScope, Set<String> openPathPrefixes) {
        this(constant(Objects.requireNonNull(authenticator, "authenticator")), audience, requiredScope, openPathPrefixes);
    }

    /**
     * As {@link #BearerTokenFilter(BearerAuthenticator, String, String, Set)}, with the authenticator looked up
     * once, on the first request that needs it (for frameworks that build filters before the application's
     * runtime configuration exists).
     */
    public BearerTokenFilter(Supplier<BearerAuthenticator> authenticator, String audience, String requiredScope,
            Set<String> openPathPrefixes) {
        if (audience == null || audience.isEmpty()) {
            throw new IllegalArgumentException("an expected audience is required");
        }
        if (requiredScope != null && !BearerAuthenticator.isScopeToken(requiredScope)) {
            throw new IllegalArgumentException("not a scope-token: " + requiredScope);
        }
        this.authenticatorSource = Objects.requireNonNull(authenticator, "authenticator");
        this.audience = audience;
        this.requiredScope = requiredScope;
        this.openPathPrefixes = openPathPrefixes.stream().map(BearerTokenFilter::normalizePrefix).toList();
    }

    /** Every request needs a valid token of {@code audience} carrying {@code requiredScope} (if not null); no path is open. */
    public BearerTokenFilter(BearerAuthenticator authenticator, String audience, String requiredScope) {
        this(authenticator, audience, requiredScope, Set.of());
    }

    @Override
    public void filter(ContainerRequestContext request) {
        if (isOpen(request.getUriInfo().getPath())) {
            return;
        }
        // Several Authorization headers come joined with commas, which is never one valid credential: refused as MALFORMED.
        Authentication authentication = authenticator().authenticate(request.getHeaderString(HttpHeaders.AUTHORIZATION),
                audience, requiredScope);
        if (!authentication.isAuthenticated()) {
            request.abortWith(refusal(authentication));
            return;
        }
        VerifiedClaims claims = authentication.claims();
        request.setProperty(CLAIMS_PROPERTY, claims);
        SecurityContext original = request.getSecurityContext();
        boolean secure = original != null ? original.isSecure() : "https".equalsIgnoreCase(request.getUriInfo().getRequestUri().getScheme());
        request.setSecurityContext(new BearerSecurityContext(new BearerPrincipal(claims), secure));
    }

    private BearerAuthenticator authenticator() {
        BearerAuthenticator current = authenticator;
        if (current == null) {
            current = Objects.requireNonNull(authenticatorSource.get(), "the authenticator supplier returned null");
            authenticator = current;
        }
        return current;
    }

    private static Supplier<BearerAuthenticator> constant(BearerAuthenticator authenticator) {
        return () -> authenticator;
    }

    /** The caller's claims if this filter authenticated the request, otherwise null (an open path, or another filter). */
    public static VerifiedClaims claims(ContainerRequestContext request) {
        return request.getProperty(CLAIMS_PROPERTY) instanceof VerifiedClaims claims ? claims : null;
    }

    /** The principal of an authenticated request: its name is the token's {@code sub}. */
    public record BearerPrincipal(VerifiedClaims claims) implements Principal {
        public BearerPrincipal {
            Objects.requireNonNull(claims, "claims");
        }

        @Override
        public String getName() {
            return claims.subject();
        }

        @Override
        public String toString() {
            return "BearerPrincipal[" + claims.subject() + "]";
        }
    }

    private record BearerSecurityContext(BearerPrincipal principal, boolean secure) implements SecurityContext {
        @Override
        public Principal getUserPrincipal() {
            return principal;
        }

        /** A role is a scope: {@code @RolesAllowed("orders:write")} asks for that scope. */
        @Override
        public boolean isUserInRole(String role) {
            return role != null && principal.claims().hasScope(role);
        }

        @Override
        public boolean isSecure() {
            return secure;
        }

        @Override
        public String getAuthenticationScheme() {
            return BEARER;
        }
    }

    private static Response refusal(Authentication authentication) {
        // RFC 6750 section 3.1: a request that carried no credentials gets no error code.
        String error = authentication.outcome() == Authentication.Outcome.MISSING_CREDENTIALS ? null : authentication.errorCode();
        StringBuilder body = new StringBuilder("{");
        if (error != null) {
            body.append("\"error\":\"").append(error).append("\",");
        }
        body.append("\"error_description\":\"");
        appendJsonEscaped(body, authentication.reason());
        body.append("\"}");
        Response.ResponseBuilder response = Response.status(authentication.httpStatus())
                .header(HttpHeaders.CACHE_CONTROL, "no-store")
                .type(MediaType.APPLICATION_JSON_TYPE)
                .entity(body.toString());
        if (authentication.wwwAuthenticate() != null) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, authentication.wwwAuthenticate());
        }
        if (authentication.outcome() == Authentication.Outcome.UNAVAILABLE) {
            response.header(HttpHeaders.RETRY_AFTER, Authentication.RETRY_AFTER.toSeconds());
        }
        return response.build();
    }

    /** The reason is already printable ASCII without quotes or backslashes; escaping anyway keeps the body JSON whatever changes upstream. */
    private static void appendJsonEscaped(StringBuilder out, String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7E) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
    }

    /**
     * Whether {@code path} is an open prefix or lies beneath one. A path with a {@code .} or {@code ..} segment is never
     * open: {@code /health/../orders} must not escape the token check on a runtime that resolves it after this filter.
     */
    private boolean isOpen(String path) {
        if (openPathPrefixes.isEmpty() || path == null) {
            return false;
        }
        String normalized = path.startsWith("/") ? path : "/" + path;
        for (String segment : normalized.split("/", -1)) {
            if (segment.equals(".") || segment.equals("..")) {
                return false;
            }
        }
        for (String prefix : openPathPrefixes) {
            if (normalized.equals(prefix) || normalized.startsWith(prefix + "/")) {
                return true;
            }
        }
        return false;
    }

    private static String normalizePrefix(String prefix) {
        String p = prefix == null ? "" : prefix.strip();
        if (!p.startsWith("/")) {
            p = "/" + p;
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new IllegalArgumentException("an open path prefix must name a path below the root: '" + prefix + "'");
        }
        return p;
    }
}
