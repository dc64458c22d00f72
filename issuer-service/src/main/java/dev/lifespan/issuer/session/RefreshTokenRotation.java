package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.AccessToken;
import dev.lifespan.api.v1.RefreshToken;
import dev.lifespan.api.v1.RefreshTokensResponse;
import dev.lifespan.issuer.audit.AuditEventType;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.ratelimit.RateLimiter;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.issuer.token.OpaqueTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

import static dev.lifespan.support.input.ProtoTime.timestamp;

/**
 * Refresh-token rotation with reuse detection.
 *
 * <p>Every refresh retires the presented token and returns a new pair. A retired token presented
 * again is reuse: someone holds a copy, so the whole family (the session) is revoked and the
 * caller gets {@code invalid_grant}. The exception is the profile's grace window: the same client
 * presenting the same retired token within it (a lost response, a second tab) gets a valid pair
 * and nothing is revoked.
 */
@Singleton
public class RefreshTokenRotation {
    private static final Logger LOG = Logger.getLogger(RefreshTokenRotation.class);
    static final int MAX_SCOPES = 64;

    private final SessionStore store;
    private final ClientRegistry clients;
    private final AccessTokenMinter minter;
    private final TokenHasher hasher;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final dev.lifespan.issuer.revocation.RevocationRelay relay;

    public RefreshTokenRotation(SessionStore store, ClientRegistry clients, AccessTokenMinter minter, TokenHasher hasher,
            IssuerMetrics metrics, InstantSource clock, RateLimiter rateLimiter, dev.lifespan.issuer.revocation.RevocationRelay relay) {
        this.relay = relay;
        this.rateLimiter = rateLimiter;
        this.store = store;
        this.clients = clients;
        this.minter = minter;
        this.hasher = hasher;
        this.metrics = metrics;
        this.clock = clock;
    }

    public Uni<RefreshTokensResponse> refresh(RefreshCommand command) {
        String token = Inputs.required("refresh_token", command.refreshToken(), Inputs.TOKEN);
        String clientId = Inputs.required("client_id", command.clientId(), Inputs.ID);
        String secret = Inputs.optional("client_secret", command.clientSecret(), Inputs.SECRET);
        String deviceId = Inputs.optional("device_id", command.deviceId(), Inputs.ID);
        String sourceIp = Inputs.optional("source_ip", command.sourceIp(), Inputs.SHORT);
        List<String> narrowed = Inputs.words("scopes", command.scopes(), MAX_SCOPES, Inputs.ID);
        RegisteredClient client = clients.authenticate(clientId, secret);
        if (!client.allows("refresh_token")) {
            throw new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "client may not use the refresh_token grant");
        }
        if (!OpaqueTokens.isWellFormed(OpaqueTokens.REFRESH_PREFIX, token)) {
            metrics.refreshed("malformed");
            throw ServiceException.invalidGrant("refresh token is invalid");
        }
        byte[] presented = hasher.hash(token);
        return rateLimiter.admit(client.id(), sourceIp).chain(() -> rotate(presented, client.id(), deviceId, narrowed, sourceIp));
    }

    private Uni<RefreshTokensResponse> rotate(byte[] presented, String clientId, String deviceId, List<String> narrowed, String sourceIp) {
        if (narrowed.isEmpty()) {
            return attempt(presented, clientId, deviceId, narrowed, sourceIp, true);
        }
        // RFC 6749 section 6: a narrower scope may be asked for, never a wider one. Checked before
        // rotating, so a bad request does not burn the caller's refresh token.
        return store.inspect(presented).chain(state -> {
            if (state.isPresent() && !state.get().session().scopes().containsAll(narrowed)) {
                return Uni.createFrom().failure(new ServiceException(ErrorKind.INVALID_SCOPE,
                        "scope exceeds the scope originally granted"));
            }
            return attempt(presented, clientId, deviceId, narrowed, sourceIp, true);
        });
    }

    private Uni<RefreshTokensResponse> attempt(byte[] presented, String clientId, String deviceId, List<String> narrowed,
            String sourceIp, boolean mayRetry) {
        Instant now = Clocks.now(clock);
        String successor = OpaqueTokens.newToken(OpaqueTokens.REFRESH_PREFIX);
        String jti = SecureTokens.tokenId();
        return store.rotate(presented, hasher.hash(successor), clientId, deviceId, now, jti, sourceIp)
                .chain(rotated -> rotated.isPresent()
                        ? Uni.createFrom().item(pair(rotated.get(), successor, jti, narrowed, now, "rotated"))
                        : store.inspect(presented).chain(state -> refused(state, presented, clientId, deviceId, narrowed, sourceIp,
                                now, mayRetry)));
    }

    private Uni<RefreshTokensResponse> refused(Optional<RefreshTokenState> state, byte[] presented, String clientId, String deviceId,
            List<String> narrowed, String sourceIp, Instant now, boolean mayRetry) {
        RefreshDecision decision = RefreshDecision.of(state, clientId, deviceId, now);
        metrics.refreshed(decision.name().toLowerCase());
        return switch (decision) {
            case UNKNOWN, WRONG_CLIENT, WRONG_DEVICE -> Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid"));
            case SESSION_ENDED -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has ended"));
            case SESSION_EXPIRED -> store.end(state.get().session().sid(), "EXPIRED", "absolute lifetime reached", now,
                            AuditEventType.SESSION_ENDED, null, null)
                    .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has expired")));
            case SESSION_IDLE -> store.end(state.get().session().sid(), "IDLE_EXPIRED", "idle timeout", now,
                            AuditEventType.SESSION_IDLE_TIMEOUT, null, null)
                    .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has been idle too long")));
            case GRACE_RETRY -> graceRetry(presented, clientId, deviceId, narrowed, sourceIp, now, mayRetry);
            case REUSE -> reuse(state.get(), now);
            case RETRY -> mayRetry ? attempt(presented, clientId, deviceId, narrowed, sourceIp, false)
                    : Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid"));
        };
    }

    private Uni<RefreshTokensResponse> graceRetry(byte[] presented, String clientId, String deviceId, List<String> narrowed,
            String sourceIp, Instant now, boolean mayRetry) {
        String successor = OpaqueTokens.newToken(OpaqueTokens.REFRESH_PREFIX);
        String jti = SecureTokens.tokenId();
        return store.rotateWithinGrace(presented, hasher.hash(successor), clientId, deviceId, now, jti, sourceIp)
                .chain(rotated -> rotated.isPresent()
                        ? Uni.createFrom().item(pair(rotated.get(), successor, jti, narrowed, now, "grace"))
                        : mayRetry ? attempt(presented, clientId, deviceId, narrowed, sourceIp, false)
                        : Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid")));
    }

    private Uni<RefreshTokensResponse> reuse(RefreshTokenState state, Instant now) {
        SessionRow session = state.session();
        return store.end(session.sid(), "REVOKED", "refresh_token_reuse", now, AuditEventType.SESSION_ENDED,
                        AuditEventType.REFRESH_TOKEN_REUSED, new JsonObject().put("retired_at", state.rotatedAt().toString()))
                .invoke(ended -> {
                    // Concurrent presentations of one stolen token all land here; the one that
                    // actually ended the session reports it.
                    if (ended.isPresent()) {
                        relay.nudge();
                        metrics.reuseDetected();
                        LOG.warnf("Refresh token reuse detected: revoked session %s of client %s (token retired at %s)",
                                session.sid(), session.clientId(), state.rotatedAt());
                    }
                })
                .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant(
                        "refresh token was already used; the session has been revoked")));
    }

    private RefreshTokensResponse pair(SessionRow session, String refreshToken, String jti, List<String> narrowed, Instant now,
            String outcome) {
        List<String> scopes = narrowed.isEmpty() || !session.scopes().containsAll(narrowed) ? session.scopes() : narrowed;
        Instant accessExpiry = SessionService.min(now.plus(session.accessTtl()), session.expiresAt());
        AccessToken access = minter.mint(new AccessTokenClaims(session.subject(), session.audience(), now, accessExpiry, jti,
                session.sid(), session.clientId(), scopes, session.authTime(), session.acr(), session.amr(), session.roles()));
        metrics.refreshed(outcome);
        metrics.refreshedInProfile(session.profile());
        return RefreshTokensResponse.newBuilder()
                .setAccessToken(access)
                .setRefreshToken(RefreshToken.newBuilder()
                        .setToken(refreshToken)
                        .setSessionExpiresAt(timestamp(session.expiresAt()))
                        .setIdleExpiresAt(timestamp(SessionService.min(now.plus(session.idleTimeout()), session.expiresAt()))))
                .setSessionId(session.sid())
                .build();
    }
}
