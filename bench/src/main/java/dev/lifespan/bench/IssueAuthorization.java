package dev.lifespan.bench;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

import java.io.IOException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends {@code authorization: Bearer <service token>} on calls that need a caller with scope {@code tokens:issue}
 * ({@code IssueTokens}). The token comes from the client-credentials grant of the issue client; a background thread
 * fetches a new one when half its lifetime has passed, so calls never wait for it.
 */
final class IssueAuthorization implements ClientInterceptor {

    static final String SCOPE = "tokens:issue";
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final TokenEndpointConnection tokenEndpoint;
    private final String clientId;
    private final String clientSecret;
    private volatile String bearer;

    IssueAuthorization(TokenEndpointConnection tokenEndpoint, String clientId, String clientSecret) {
        this.tokenEndpoint = tokenEndpoint;
        this.clientId = clientId;
        this.clientSecret = clientSecret;
    }

    /** Fetches the first token (failing if the issue client cannot get one) and keeps it fresh on {@code timer}. */
    void start(ScheduledExecutorService timer) throws IOException, InterruptedException {
        long expiresIn = fetch();
        timer.schedule(() -> refreshLater(timer), Math.max(1, expiresIn / 2), TimeUnit.SECONDS);
    }

    private void refreshLater(ScheduledExecutorService timer) {
        long next;
        try {
            next = Math.max(1, fetch() / 2);
        } catch (IOException e) {
            System.err.println("warning: could not renew the issue token: " + e.getMessage());
            next = 5;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        timer.schedule(() -> refreshLater(timer), next, TimeUnit.SECONDS);
    }

    /** Gets a token; returns its lifetime in seconds. */
    private long fetch() throws IOException, InterruptedException {
        TokenEndpointConnection.Answer answer = tokenEndpoint.clientCredentials(clientId, clientSecret, SCOPE);
        if (!answer.ok(false)) {
            throw new IOException("client_credentials for " + clientId + " (scope " + SCOPE + ") failed: "
                    + answer.describeFailure());
        }
        bearer = "Bearer " + answer.fields().get("access_token");
        try {
            return Long.parseLong(answer.fields().getOrDefault("expires_in", "60").trim());
        } catch (NumberFormatException e) {
            return 60;
        }
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String value = bearer;
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                if (value != null) {
                    headers.put(AUTHORIZATION, value);
                }
                super.start(listener, headers);
            }
        };
    }
}
