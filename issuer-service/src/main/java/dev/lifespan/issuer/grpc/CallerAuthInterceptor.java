package dev.lifespan.issuer.grpc;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.error.GrpcErrors;
import dev.lifespan.support.error.ServiceException;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import jakarta.inject.Singleton;

import java.util.Map;

/**
 * Requires a service token with the right scope on the privileged TokenIssuer RPCs. Refresh,
 * client credentials and JWKS stay open: their callers authenticate with their own client
 * credentials, or need none.
 */
@Singleton
public class CallerAuthInterceptor implements ServerInterceptor {
    /** Scope each privileged RPC requires. */
    public static final Map<String, String> REQUIRED_SCOPES = Map.of(
            "IssueTokens", "tokens:issue",
            "IssueSingleUseToken", "tokens:issue",
            "RedeemSingleUseToken", "tokens:issue",
            "ListSessions", "sessions:read",
            "EndSession", "sessions:write",
            "RotateSigningKey", "keys:rotate");
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final CallerAuthentication authentication;
    private final boolean enabled;

    public CallerAuthInterceptor(CallerAuthentication authentication, LifespanConfig config) {
        this.authentication = authentication;
        this.enabled = config.callerAuth().enabled();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String scope = REQUIRED_SCOPES.get(call.getMethodDescriptor().getBareMethodName());
        if (enabled && scope != null) {
            try {
                authentication.authenticate(headers.get(AUTHORIZATION), scope);
            } catch (ServiceException e) {
                var status = GrpcErrors.toStatus(e);
                call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
                return new ServerCall.Listener<>() { };
            }
        }
        return next.startCall(call, headers);
    }
}
