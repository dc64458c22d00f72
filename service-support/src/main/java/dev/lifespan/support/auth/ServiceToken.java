package dev.lifespan.support.auth;

import io.grpc.Status;
import io.smallrye.mutiny.Uni;

/**
 * A service's own access token for calling another Lifespan service: minted in-process by the issuer, obtained with
 * client credentials by the others ({@link ClientCredentialsToken}). Never logged.
 */
public interface ServiceToken {
    /** A current token, obtained or renewed when needed. */
    Uni<String> token();

    /** Forgets the current token (the receiver refused it), so the next call obtains another. */
    void discard();

    /** {@code call}, forgetting the token when the callee refused it ({@code UNAUTHENTICATED}), so a retry obtains another. */
    default <T> Uni<T> discardIfRefused(Uni<T> call) {
        return call.onFailure(e -> Status.fromThrowable(e).getCode() == Status.Code.UNAUTHENTICATED).invoke(this::discard);
    }
}
