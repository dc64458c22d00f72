package dev.lifespan.issuer.oauth2;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.session.RefreshFamilyStore;
import dev.lifespan.issuer.session.RefreshTokens;
import dev.lifespan.issuer.session.SessionStore;
import dev.lifespan.issuer.singleuse.SingleUseTokens;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;

/**
 * RFC 7009 token revocation by the client that holds the token. A refresh token ends its session, the whole family
 * and so every access token of the grant, as the session rule reaches the validating nodes; an access token becomes
 * a TOKEN rule on its {@code jti} until its {@code exp}; a single-use token is never redeemable after it
 * ({@link SingleUseTokens#revoke}). Unknown and invalid tokens are not an error (section 2.2); another client's access or
 * refresh token is refused, and another client's single-use token is as unknown as it is to redemption.
 */
@Singleton
public class TokenRevocation {
    static final String REASON = "revoked by client (RFC 7009)";

    private final TokenValidator validator;
    private final SessionStore sessions;
    private final RefreshFamilyStore family;
    private final PendingRevocations revocations;
    private final TokenHasher hasher;
    private final RefreshTokens refreshTokens;
    private final InstantSource clock;
    private final SingleUseTokens singleUse;

    public TokenRevocation(TokenValidator validator, SessionStore sessions, RefreshFamilyStore family, PendingRevocations revocations,
            TokenHasher hasher, RefreshTokens refreshTokens, InstantSource clock, SingleUseTokens singleUse) {
        this.singleUse = singleUse;
        this.validator = validator;
        this.sessions = sessions;
        this.family = family;
        this.revocations = revocations;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.clock = clock;
    }

    public Uni<Void> revoke(String token, RegisteredClient caller) {
        Instant now = Clocks.now(clock);
        if (SingleUseTokens.looksLikeOne(token)) {
            return singleUse.revoke(token, caller.id(), REASON);
        }
        if (refreshTokens.read(token).wellFormed()) {
            return family.inspect(hasher.hash(token)).chain(state -> {
                if (state.isEmpty()) {
                    return Uni.createFrom().voidItem();
                }
                if (!state.get().clientId().equals(caller.id())) {
                    return Uni.createFrom().failure(new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT,
                            "the token was not issued to this client"));
                }
                return sessions.end(state.get().session().sid(), SessionStore.Ending.REVOKED, REASON, now, null)
                        .invoke(ended -> ended.ifPresent(ignored -> revocations.announce()))
                        .replaceWithVoid();
            });
        }
        ValidationResult access = validator.validateForIntrospection(token);
        if (access.failure() == ValidationFailure.REVOCATION_FEED_STALE) {
            // The token may be valid; answering 200 now would drop the revocation the client asked for. It retries.
            return Uni.createFrom().failure(IssuerValidatingNode.feedStale());
        }
        if (!access.isValid()) {
            return Uni.createFrom().voidItem();
        }
        if (!caller.id().equals(access.claims().clientId())) {
            return Uni.createFrom().failure(new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "the token was not issued to this client"));
        }
        return revocations.queue(PendingRevocations.Kind.TOKEN, access.claims().tokenId(), REASON, access.claims().expiresAt(), now);
    }
}
