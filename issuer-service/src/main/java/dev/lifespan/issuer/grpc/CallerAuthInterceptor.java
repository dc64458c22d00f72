package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.issuer.client.LifespanScopes;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import dev.lifespan.validator.guard.BearerAuthenticator;
import dev.lifespan.validator.guard.BearerTokenInterceptor;
import dev.lifespan.validator.guard.ValidationMetrics;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Requires a Lifespan service token with the right scope on the privileged TokenIssuer RPCs, with the
 * validator library's {@link BearerTokenInterceptor}: the same decision, refusal shape ({@code ErrorInfo}
 * {@code invalid_token} / {@code insufficient_scope}, or UNAVAILABLE with a retry delay when the token cannot be
 * checked against a fresh enough feed) and metrics ({@code lifespan_token_validations_total{outcome}}) as every
 * Lifespan service. Refresh, client credentials and JWKS stay open: their callers authenticate with their own
 * client credentials, or need none.
 */
@Singleton
public class CallerAuthInterceptor implements ServerInterceptor {
    /** Scope each privileged RPC requires. */
    public static final Map<String, String> REQUIRED_SCOPES = Map.of(
            TokenIssuerGrpc.getIssueTokensMethod().getFullMethodName(), LifespanScopes.TOKENS_ISSUE,
            TokenIssuerGrpc.getIssueSingleUseTokenMethod().getFullMethodName(), LifespanScopes.TOKENS_ISSUE,
            TokenIssuerGrpc.getRedeemSingleUseTokenMethod().getFullMethodName(), LifespanScopes.TOKENS_ISSUE,
            TokenIssuerGrpc.getListSessionsMethod().getFullMethodName(), LifespanScopes.SESSIONS_READ,
            TokenIssuerGrpc.getEndSessionMethod().getFullMethodName(), LifespanScopes.SESSIONS_WRITE,
            TokenIssuerGrpc.getEndSubjectSessionsMethod().getFullMethodName(), LifespanScopes.SESSIONS_WRITE,
            TokenIssuerGrpc.getRotateSigningKeyMethod().getFullMethodName(), LifespanScopes.KEYS_ROTATE);
    /** RPCs whose callers authenticate with client credentials in the request ({@link PeerAddresses}), or need none. */
    static final Set<String> OPEN_METHODS = Stream.concat(PeerAddresses.CLIENT_AUTHENTICATING.stream(),
            Stream.of(TokenIssuerGrpc.getGetJwksMethod().getFullMethodName())).collect(Collectors.toUnmodifiableSet());

    private final BearerTokenInterceptor guard;
    private final boolean enabled;

    public CallerAuthInterceptor(IssuerValidatingNode node, LifespanConfig config, MeterRegistry registry) {
        this.enabled = config.callerAuth().enabled();
        this.guard = new BearerTokenInterceptor(new BearerAuthenticator(node.callerValidator(), new ValidationMetrics(registry)),
                config.callerAuth().audience(), REQUIRED_SCOPES, OPEN_METHODS);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return enabled ? guard.interceptCall(call, headers, next) : next.startCall(call, headers);
    }
}
