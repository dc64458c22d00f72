package dev.lifespan.validator.guard;

import dev.lifespan.validator.VerifiedClaims;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Requires a valid Lifespan access token on every gRPC call except the open methods, with the
 * {@link BearerAuthenticator} decision every HTTP endpoint uses too.
 *
 * <ul>
 *   <li>missing or invalid token: the call is closed with {@code UNAUTHENTICATED} and the reason as description,
 *       for example {@code REVOKED_SESSION: the token's session has been revoked} or {@code MISSING_CREDENTIALS: a bearer token is required};</li>
 *   <li>valid token without the method's scope: {@code PERMISSION_DENIED}, {@code INSUFFICIENT_SCOPE: scope x is required};</li>
 *   <li>a token that cannot be checked now (the revocation feed is stale): {@code UNAVAILABLE} with a
 *       {@code RetryInfo}, an outage rather than bad credentials;</li>
 *   <li>otherwise the handler runs with the caller's claims in {@link #CLAIMS} (see {@link #caller()}).</li>
 * </ul>
 *
 * Every refusal carries the {@link GrpcErrorStatus} details: {@code ErrorInfo} with reason {@code invalid_token},
 * {@code insufficient_scope} or {@code temporarily_unavailable} and metadata {@code failure} (the validation failure, or
 * {@code MISSING_CREDENTIALS} / {@code INSUFFICIENT_SCOPE}).
 *
 * <p>Methods are named either in full ({@code lifespan.v1.Revocation/Revoke}) or bare ({@code Revoke}); a full
 * name wins over a bare one, and a bare name applies to that method of every service, so prefer full names for
 * open methods ({@code grpc.health.v1.Health/Check}, not {@code Check}). Several {@code authorization} entries
 * are joined with commas, which is never one valid credential, so they are refused.
 */
public final class BearerTokenInterceptor implements ServerInterceptor {
    /** The authenticated caller of the current call; set for every call this interceptor let through with a token. */
    public static final Context.Key<VerifiedClaims> CLAIMS = Context.key("lifespan-verified-claims");
    /** The {@code authorization} request header. */
    public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final BearerAuthenticator authenticator;
    private final String audience;
    private final Map<String, String> requiredScopes;
    private final Set<String> openMethods;

    /**
     * @param audience       the audience tokens must carry, this service's name (for example {@code revocation-service})
     * @param requiredScopes scope by full or bare method name; methods not listed need a valid token only
     * @param openMethods    full or bare method names that need no token at all (health, reflection)
     */
    public BearerTokenInterceptor(BearerAuthenticator authenticator, String audience, Map<String, String> requiredScopes,
            Set<String> openMethods) {
        if (audience == null || audience.isEmpty()) {
            throw new IllegalArgumentException("an expected audience is required");
        }
        this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
        this.audience = audience;
        this.requiredScopes = Map.copyOf(requiredScopes);
        this.openMethods = Set.copyOf(openMethods);
    }

    /** Every method needs a valid token of {@code audience}, no scope, none open. */
    public BearerTokenInterceptor(BearerAuthenticator authenticator, String audience) {
        this(authenticator, audience, Map.of(), Set.of());
    }

    /** The caller of the current gRPC call, or null outside a call this interceptor authenticated (e.g. an open method). */
    public static VerifiedClaims caller() {
        return CLAIMS.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        String full = method.getFullMethodName();
        String bare = method.getBareMethodName();
        if (openMethods.contains(full) || (bare != null && openMethods.contains(bare))) {
            return next.startCall(call, headers);
        }
        String scope = requiredScopes.containsKey(full) ? requiredScopes.get(full) : bare == null ? null : requiredScopes.get(bare);
        Iterable<String> values = headers.getAll(AUTHORIZATION);
        String authorization = values == null ? null : String.join(",", values);
        Authentication authentication = authenticator.authenticate(authorization, audience, scope);
        if (!authentication.isAuthenticated()) {
            StatusRuntimeException refusal = GrpcErrorStatus.refusal(authentication);
            call.close(refusal.getStatus(), refusal.getTrailers() == null ? new Metadata() : refusal.getTrailers());
            return new ServerCall.Listener<>() { };
        }
        return Contexts.interceptCall(Context.current().withValue(CLAIMS, authentication.claims()), call, headers, next);
    }
}
