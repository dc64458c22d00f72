package dev.lifespan.bench;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.io.IOException;
import java.time.Duration;

/**
 * Sends {@code authorization: Bearer <service token>} on calls that need a caller with scope {@code tokens:issue}
 * ({@code IssueTokens}). The token comes from the client-credentials grant of the issue client and is fetched again
 * when half its lifetime has passed.
 */
final class IssueAuthorization implements ClientInterceptor {

    static final String SCOPE = "tokens:issue";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final TokenEndpointClient tokenEndpoint;
    private final String clientId;
    private final String clientSecret;
    private String token;
    private long refreshAtNanos;

    IssueAuthorization(TokenEndpointClient tokenEndpoint, String clientId, String clientSecret) {
        this.tokenEndpoint = tokenEndpoint;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
    }

    /** The current service token, fetching a new one when needed. */
    synchronized String token() throws IOException, InterruptedException {
        long now = System.nanoTime();
        if (token == null || now - refreshAtNanos >= 0) {
            TokenEndpointClient.Answer answer = tokenEndpoint.clientCredentials(clientId, clientSecret, SCOPE);
            if (!answer.ok(false)) {
                throw new IOException("client_credentials for " + clientId + " (scope " + SCOPE + ") failed: "
                        + answer.describeFailure());
            }
            long expiresIn = parseSeconds(answer.fields().get("expires_in"), 60);
            token = answer.fields().get("access_token");
            refreshAtNanos = now + Duration.ofSeconds(Math.max(1, expiresIn / 2)).toNanos();
        }
        return token;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String bearer;
        try {
            bearer = "Bearer " + token();
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while fetching the issue token", e);
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                headers.put(AUTHORIZATION, bearer);
                super.start(listener, headers);
            }
        };
    }

    private static long parseSeconds(String value, long fallback) {
        try {
            return value == null ? fallback : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
