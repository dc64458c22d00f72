package dev.lifespan.issuer.grpc;

import dev.lifespan.api.v1.TokenIssuerGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import jakarta.inject.Singleton;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;

/**
 * The address a gRPC call came from, as the connection shows it, on the two RPCs whose callers authenticate with client
 * credentials in the request ({@code RefreshTokens}, {@code IssueServiceToken}). A failed client authentication is
 * counted under it, as the token endpoint counts under its connection's address: the party that presented the wrong
 * credentials is the one connected, whatever {@code source_ip} it states for its user, so a guesser cannot spread its
 * failures over addresses it makes up. Other RPCs are passed through untouched.
 */
@Singleton
public class PeerAddresses implements ServerInterceptor {
    private static final Context.Key<String> ADDRESS = Context.key("lifespan-peer-address");
    /** The RPCs whose callers authenticate with client credentials in the request (no bearer token asked). */
    static final Set<String> CLIENT_AUTHENTICATING = Set.of(
            TokenIssuerGrpc.getRefreshTokensMethod().getFullMethodName(),
            TokenIssuerGrpc.getIssueServiceTokenMethod().getFullMethodName());

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!CLIENT_AUTHENTICATING.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        String address = host(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        return address == null ? next.startCall(call, headers)
                : Contexts.interceptCall(Context.current().withValue(ADDRESS, address), call, headers, next);
    }

    /** The calling connection's address on this thread's gRPC call, or null outside such a call or when unknown. */
    public static String current() {
        return ADDRESS.get();
    }

    static String host(SocketAddress address) {
        return address instanceof InetSocketAddress inet && inet.getAddress() != null ? inet.getAddress().getHostAddress() : null;
    }
}
