package dev.lifespan.issuer.session;

import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.profile.LifetimePolicy;
import dev.lifespan.issuer.ratelimit.RateLimiter;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.issuer.token.MintedToken;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

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
    /** The refresh outcome of a token that is not one of ours in form. */
    private static final String MALFORMED = "malformed";
    static final int MAX_SCOPES = 64;

    private final RefreshFamilyStore family;
    private final SessionStore sessions;
    private final ClientRegistry clients;
    private final AccessTokenMinter minter;
    private final TokenHasher hasher;
    private final RefreshTokens refreshTokens;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final PendingRevocations revocations;

    public RefreshTokenRotation(RefreshFamilyStore family, SessionStore sessions, ClientRegistry clients, AccessTokenMinter minter,
            TokenHasher hasher, RefreshTokens refreshTokens, IssuerMetrics metrics, InstantSource clock, RateLimiter rateLimiter,
            PendingRevocations revocations) {
        this.revocations = revocations;
        this.rateLimiter = rateLimiter;
        this.family = family;
        this.sessions = sessions;
        this.clients = clients;
        this.minter = minter;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.metrics = metrics;
        this.clock = clock;
        metrics.refreshOutcomes(RefreshDecision.outcomes());
        metrics.refreshOutcomes(List.of(MALFORMED));
    }

    public Uni<TokenPair> refresh(RefreshCommand command) {
        String token = Inputs.required("refresh_token", command.refreshToken(), Inputs.TOKEN);
        String clientId = Inputs.required("client_id", command.clientId(), Inputs.ID);
        String secret = Inputs.optional("client_secret", command.clientSecret(), Inputs.SECRET);
        String deviceId = Inputs.optional("device_id", command.deviceId(), Inputs.ID);
        String sourceIp = Inputs.optional("source_ip", command.sourceIp(), Inputs.SHORT);
        List<String> narrowed = Inputs.words("scopes", command.scopes(), MAX_SCOPES, Inputs.ID);
        RegisteredClient client = clients.authenticate(clientId, secret, command.callerAddress());
        if (!client.allows("refresh_token")) {
            throw new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "client may not use the refresh_token grant");
        }
        RefreshTokens.Presented named = refreshTokens.read(token);
        if (!named.wellFormed()) {
            metrics.refreshed(MALFORMED);
            throw ServiceException.invalidGrant("refresh token is invalid");
        }
        byte[] presented = hasher.hash(token);
        String sid = named.sessionId();
        if (sid == null) {
            // A token of the earlier form names no session: counted per client and address, then its session is read so
            // that its successor names it (a read only after the limiter, so unknown tokens cannot make reads unlimited).
            return rateLimiter.admit(client.id(), sourceIp, null).chain(() -> family.inspect(presented))
                    .chain(state -> rotate(presented, state.map(known -> known.session().sid()).orElse(null), client.id(), deviceId,
                            narrowed, sourceIp));
        }
        return rateLimiter.admit(client.id(), sourceIp, sid).chain(() -> rotate(presented, sid, client.id(), deviceId, narrowed, sourceIp));
    }

    private Uni<TokenPair> rotate(byte[] presented, String sid, String clientId, String deviceId, List<String> narrowed,
            String sourceIp) {
        if (sid == null) {
            // Of the earlier form and not known.
            return refused(Optional.empty(), presented, null, clientId, deviceId, narrowed, sourceIp, Clocks.now(clock), false);
        }
        if (narrowed.isEmpty()) {
            return attempt(presented, sid, clientId, deviceId, narrowed, sourceIp, true);
        }
        // RFC 6749 section 6: a narrower scope may be asked for, never a wider one. Checked before
        // rotating, so a bad request does not burn the caller's refresh token.
        return family.inspect(presented).chain(state -> {
            if (state.isPresent() && !state.get().session().scopes().containsAll(narrowed)) {
                return Uni.createFrom().failure(new ServiceException(ErrorKind.INVALID_SCOPE,
                        "scope exceeds the scope originally granted"));
            }
            return attempt(presented, sid, clientId, deviceId, narrowed, sourceIp, true);
        });
    }

    private Uni<TokenPair> attempt(byte[] presented, String sid, String clientId, String deviceId, List<String> narrowed,
            String sourceIp, boolean mayRetry) {
        Instant now = Clocks.now(clock);
        String successor = refreshTokens.newToken(sid);
        String jti = SecureTokens.tokenId();
        return family.rotate(presented, hasher.hash(successor), clientId, deviceId, now, jti, sourceIp)
                .chain(rotated -> rotated.isPresent()
                        ? Uni.createFrom().item(pair(rotated.get(), successor, jti, narrowed, now, IssuerMetrics.ROTATED))
                        : family.inspect(presented).chain(state -> refused(state, presented, sid, clientId, deviceId, narrowed,
                                sourceIp, now, mayRetry)));
    }

    private Uni<TokenPair> refused(Optional<RefreshTokenState> state, byte[] presented, String sid, String clientId, String deviceId,
            List<String> narrowed, String sourceIp, Instant now, boolean mayRetry) {
        RefreshDecision decision = RefreshDecision.of(state, clientId, deviceId, now);
        metrics.refreshed(decision.outcome());
        return switch (decision) {
            case UNKNOWN, WRONG_CLIENT, WRONG_DEVICE -> Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid"));
            case SESSION_ENDED -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has ended"));
            case SESSION_EXPIRED -> sessions.end(state.get().session().sid(), SessionStore.Ending.EXPIRED, "absolute lifetime reached",
                            now, null)
                    .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has expired")));
            case SESSION_IDLE -> sessions.end(state.get().session().sid(), SessionStore.Ending.IDLE, "idle timeout", now, null)
                    .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant("the session has been idle too long")));
            case GRACE_RETRY -> graceRetry(presented, sid, clientId, deviceId, narrowed, sourceIp, now, mayRetry);
            case REUSE -> reuse(state.get(), now);
            case STILL_ROTATABLE -> mayRetry ? attempt(presented, sid, clientId, deviceId, narrowed, sourceIp, false)
                    : Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid"));
        };
    }

    private Uni<TokenPair> graceRetry(byte[] presented, String sid, String clientId, String deviceId, List<String> narrowed,
            String sourceIp, Instant now, boolean mayRetry) {
        String successor = refreshTokens.newToken(sid);
        String jti = SecureTokens.tokenId();
        return family.rotateWithinGrace(presented, hasher.hash(successor), clientId, deviceId, now, jti, sourceIp)
                .chain(rotated -> rotated.isPresent()
                        ? Uni.createFrom().item(pair(rotated.get(), successor, jti, narrowed, now, IssuerMetrics.GRACE))
                        : mayRetry ? attempt(presented, sid, clientId, deviceId, narrowed, sourceIp, false)
                        : Uni.createFrom().failure(ServiceException.invalidGrant("refresh token is invalid")));
    }

    private Uni<TokenPair> reuse(RefreshTokenState state, Instant now) {
        SessionRow session = state.session();
        return sessions.end(session.sid(), SessionStore.Ending.REUSED, "refresh_token_reuse", now,
                        new JsonObject().put("retired_at", state.rotatedAt().toString()).encode())
                .invoke(ended -> {
                    // Concurrent presentations of one stolen token all land here; the one that
                    // actually ended the session reports it.
                    if (ended.isPresent()) {
                        revocations.announce();
                        metrics.reuseDetected();
                        LOG.warnf("Refresh token reuse detected: revoked session %s of client %s (token retired at %s)",
                                session.sid(), session.clientId(), state.rotatedAt());
                    }
                })
                .chain(() -> Uni.createFrom().failure(ServiceException.invalidGrant(
                        "refresh token was already used; the session has been revoked")));
    }

    private TokenPair pair(SessionRow session, String refreshToken, String jti, List<String> narrowed, Instant now, String outcome) {
        List<String> scopes = narrowed.isEmpty() || !session.scopes().containsAll(narrowed) ? session.scopes() : narrowed;
        MintedToken access = minter.mint(new AccessTokenClaims(session.subject(), session.audience(), now,
                LifetimePolicy.accessExpiry(now, session.accessTtl(), session.expiresAt()), jti, session.sid(), session.clientId(), scopes,
                session.authTime(), session.acr(), session.amr(), session.roles()));
        metrics.refreshed(outcome);
        metrics.refreshedInProfile(session.profile());
        return new TokenPair(access, refreshToken, session.sid(), session.profile(), session.expiresAt(),
                LifetimePolicy.idleExpiry(now, session.idleTimeout(), session.expiresAt()));
    }
}
