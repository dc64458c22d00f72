package dev.lifespan.issuer.oauth2;

import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import dev.lifespan.issuer.session.RefreshDecision;
import dev.lifespan.issuer.session.RefreshFamilyStore;
import dev.lifespan.issuer.session.RefreshTokenState;
import dev.lifespan.issuer.session.RefreshTokens;
import dev.lifespan.issuer.session.SessionLiveness;
import dev.lifespan.issuer.session.SessionRow;
import dev.lifespan.issuer.session.SessionStore;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import dev.lifespan.validator.VerifiedClaims;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * RFC 7662 token introspection: what the issuer knows about a token it issued. An access token is active when the
 * validator library accepts it (signature, time, every revocation rule, a fresh feed) and its session is live
 * ({@link SessionLiveness}: not ended, not expired, not idle); a refresh token when a refresh with it would rotate,
 * and only to the client it was issued to. Anything else is exactly {@code {"active": false}}, but for an access token
 * whose revocations cannot be checked because the feed is stale: that is 503 with a retry delay (fail closed, and an
 * outage rather than a verdict on the token, so a resource server does not sign its user out).
 */
@Singleton
public class Introspection {
    /** RFC 7662: any token that is not active gets exactly this. */
    public static final Map<String, Object> INACTIVE = Map.of("active", false);

    private final TokenValidator validator;
    private final SessionStore sessions;
    private final RefreshFamilyStore family;
    private final TokenHasher hasher;
    private final RefreshTokens refreshTokens;
    private final InstantSource clock;

    public Introspection(TokenValidator validator, SessionStore sessions, RefreshFamilyStore family, TokenHasher hasher,
            RefreshTokens refreshTokens, InstantSource clock) {
        this.validator = validator;
        this.sessions = sessions;
        this.family = family;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.clock = clock;
    }

    /**
     * The RFC 7662 answer for {@code caller}. A refresh token is described only to the client it was issued to: to any
     * other client it is inactive, like a token that does not exist (RFC 7662 section 4 lets the server decide what a
     * caller may learn, and a refresh token is one client's credential). Access tokens are described to any
     * confidential client, since resource servers introspect tokens issued to others.
     */
    public Uni<Map<String, Object>> introspect(String token, RegisteredClient caller) {
        Instant now = Clocks.now(clock);
        if (refreshTokens.read(token).wellFormed()) {
            return family.inspect(hasher.hash(token))
                    .map(state -> state.isPresent() && state.get().clientId().equals(caller.id()) ? refreshTokenAnswer(state, now) : INACTIVE);
        }
        ValidationResult result = validator.validateForIntrospection(token);
        if (result.failure() == ValidationFailure.REVOCATION_FEED_STALE) {
            // Whether it is revoked cannot be known now: an outage, not an inactive token (the resource server retries).
            return Uni.createFrom().failure(IssuerValidatingNode.feedStale());
        }
        if (!result.isValid()) {
            return Uni.createFrom().item(INACTIVE);
        }
        VerifiedClaims claims = result.claims();
        if (claims.sessionId() == null) {
            return Uni.createFrom().item(accessTokenAnswer(claims));
        }
        return sessions.find(claims.sessionId())
                .map(session -> session.filter(s -> SessionLiveness.isLive(s, now)).isPresent() ? accessTokenAnswer(claims) : INACTIVE);
    }

    private static Map<String, Object> refreshTokenAnswer(Optional<RefreshTokenState> state, Instant now) {
        RefreshTokenState token = state.orElseThrow();
        // Active exactly when a refresh with it would rotate: unrotated, its session live, on its own device.
        if (RefreshDecision.of(state, token.clientId(), token.session().deviceId(), now) != RefreshDecision.STILL_ROTATABLE) {
            return INACTIVE;
        }
        SessionRow session = token.session();
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("active", true);
        answer.put("token_type", "refresh_token");
        answer.put("client_id", session.clientId());
        answer.put("sub", session.subject());
        answer.put("scope", String.join(" ", session.scopes()));
        answer.put("exp", session.expiresAt().getEpochSecond());
        answer.put("iat", session.createdAt().getEpochSecond());
        answer.put("sid", session.sid());
        return answer;
    }

    private static Map<String, Object> accessTokenAnswer(VerifiedClaims claims) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("active", true);
        answer.put("token_type", "Bearer");
        answer.put("iss", claims.issuer());
        answer.put("sub", claims.subject());
        answer.put("aud", claims.audience().size() == 1 ? claims.audience().get(0) : claims.audience());
        answer.put("client_id", claims.clientId());
        answer.put("scope", String.join(" ", claims.scopes()));
        answer.put("exp", claims.expiresAt().getEpochSecond());
        answer.put("iat", claims.issuedAt().getEpochSecond());
        answer.put("nbf", claims.notBefore().getEpochSecond());
        answer.put("jti", claims.tokenId());
        if (claims.sessionId() != null) {
            answer.put("sid", claims.sessionId());
        }
        return answer;
    }
}
