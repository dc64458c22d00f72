package dev.lifespan.support.auth;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;

import java.util.concurrent.Executor;

/**
 * Puts a {@link ServiceToken} on every call of a stub as {@code authorization: Bearer ...}
 * ({@code stub.withCallCredentials(new BearerCallCredentials(token))}). A token that cannot be obtained fails the
 * call with {@code UNAVAILABLE}: the callee was never asked, and the caller retries later.
 */
public final class BearerCallCredentials extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final ServiceToken token;

    public BearerCallCredentials(ServiceToken token) {
        this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        token.token().subscribe().with(value -> {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + value);
            applier.apply(headers);
        }, failure -> applier.fail(Status.UNAVAILABLE.withDescription("no service token: " + failure.getMessage()).withCause(failure)));
    }
}
