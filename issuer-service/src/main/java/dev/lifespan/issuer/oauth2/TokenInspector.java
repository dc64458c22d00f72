package dev.lifespan.issuer.oauth2;

import dev.lifespan.issuer.audit.AuditEventType;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.session.RefreshDecision;
import dev.lifespan.issuer.session.RefreshTokenState;
import dev.lifespan.issuer.session.SessionRow;
import dev.lifespan.issuer.session.SessionStore;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.issuer.token.OpaqueTokens;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
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
 * What the issuer knows about a token it issued: introspection (RFC 7662) and revocation by the
 * client that holds it (RFC 7009). Access tokens are checked with the validator library plus the
 * state of their session; refresh tokens by their stored hash.
 */
@Singleton
public class TokenInspector {
    /** RFC 7662: any token that is not active gets exactly this. */
    public static final Map<String, Object> INACTIVE = Map.of("active", false);

    private final TokenValidator validator;
    private final SessionStore sessions;
    private final TokenHasher hasher;
    private final InstantSource clock;
    private final io.vertx.mutiny.sqlclient.Pool pool;
    private final dev.lifespan.issuer.revocation.RevocationRelay relay;

    public TokenInspector(TokenValidator validator, SessionStore sessions, TokenHasher hasher, InstantSource clock,
            io.vertx.mutiny.sqlclient.Pool pool, dev.lifespan.issuer.revocation.RevocationRelay relay) {
        this.pool = pool;
        this.relay = relay;
        this.validator = validator;
        this.sessions = sessions;
        this.hasher = hasher;
        this.clock = clock;
    }

    /**
     * RFC 7662 for {@code caller}. A refresh token is described only to the client it was issued to: to any other
     * client it is inactive, like a token that does not exist (RFC 7662 section 4 lets the server decide what a
     * caller may learn, and a refresh token is a credential of one client). Access tokens are described to any
     * confidential client, since resource servers introspect tokens issued to others.
     */
    public Uni<Map<String, Object>> introspect(String token, RegisteredClient caller) {
        Instant now = Clocks.now(clock);
        if (OpaqueTokens.isWellFormed(OpaqueTokens.REFRESH_PREFIX, token)) {
            return sessions.inspect(hasher.hash(token))
                    .map(state -> state.isPresent() && state.get().clientId().equals(caller.id()) ? refreshTokenAnswer(state, now) : INACTIVE);
        }
        ValidationResult result = validator.validateForIntrospection(token);
        if (!result.isValid()) {
            return Uni.createFrom().item(INACTIVE);
        }
        VerifiedClaims claims = result.claims();
        if (claims.sessionId() == null) {
            return Uni.createFrom().item(accessTokenAnswer(claims));
        }
        return sessions.find(claims.sessionId())
                .map(session -> session.filter(s -> sessionUsable(s, now)).isPresent() ? accessTokenAnswer(claims) : INACTIVE);
    }

    /**
     * RFC 7009 for the holder of a refresh token: ends its session (the whole family, and so every
     * access token of the grant, as the session rule reaches the validating nodes). An access token
     * becomes a token rule on its {@code jti}. Unknown and invalid tokens are not an error.
     */
    public Uni<Void> revoke(String token, RegisteredClient caller) {
        Instant now = Clocks.now(clock);
        if (OpaqueTokens.isWellFormed(OpaqueTokens.REFRESH_PREFIX, token)) {
            return sessions.inspect(hasher.hash(token)).chain(state -> {
                if (state.isEmpty()) {
                    return Uni.createFrom().voidItem();
                }
                if (!state.get().clientId().equals(caller.id())) {
                    return Uni.createFrom().failure(new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT,
                            "the token was not issued to this client"));
                }
                return sessions.end(state.get().session().sid(), "REVOKED", "revoked by client (RFC 7009)", now,
                        AuditEventType.SESSION_ENDED, null, null).invoke(relay::nudge).replaceWithVoid();
            });
        }
        ValidationResult access = validator.validateForIntrospection(token);
        if (!access.isValid()) {
            // RFC 7009 section 2.2: an invalid token is not an error.
            return Uni.createFrom().voidItem();
        }
        if (!caller.id().equals(access.claims().clientId())) {
            return Uni.createFrom().failure(new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "the token was not issued to this client"));
        }
        // One access token: a TOKEN rule on its jti until its exp, for every validating node.
        return pool.preparedQuery("INSERT INTO pending_revocation (kind, value, reason, expires_at, created_at)"
                        + " VALUES ('TOKEN', $1, 'revoked by client (RFC 7009)', $2, $3)")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(access.claims().tokenId(), Clocks.utc(access.claims().expiresAt()),
                        Clocks.utc(now)))
                .invoke(relay::nudge)
                .replaceWithVoid();
    }

    private static Map<String, Object> refreshTokenAnswer(Optional<RefreshTokenState> state, Instant now) {
        if (state.isEmpty() || state.get().rotatedAt() != null) {
            return INACTIVE;
        }
        RefreshDecision decision = RefreshDecision.of(state, state.get().clientId(), state.get().session().deviceId(), now);
        if (decision != RefreshDecision.RETRY) {
            // RETRY is what a live token in a usable session decides to: anything else is inactive.
            return INACTIVE;
        }
        SessionRow session = state.get().session();
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

    private static boolean sessionUsable(SessionRow session, Instant now) {
        return "ACTIVE".equals(session.state()) && now.isBefore(session.expiresAt());
    }
}
