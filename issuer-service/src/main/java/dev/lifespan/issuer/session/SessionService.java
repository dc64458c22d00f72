package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.AccessToken;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.IssueTokensRequest;
import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsResponse;
import dev.lifespan.api.v1.RefreshToken;
import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.issuer.audit.AuditEventType;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.profile.LifetimePolicy;
import dev.lifespan.issuer.profile.Lifetimes;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.issuer.token.OpaqueTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

import static dev.lifespan.support.input.ProtoTime.instant;
import static dev.lifespan.support.input.ProtoTime.timestamp;

/** Starting, listing and ending sessions. */
@Singleton
public class SessionService {
    static final int MAX_SCOPES = 64;
    static final int MAX_AUDIENCES = 16;

    private final SessionStore store;
    private final Pool pool;
    private final ClientRegistry clients;
    private final LifetimePolicy policy;
    private final AccessTokenMinter minter;
    private final TokenHasher hasher;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final java.util.Set<String> guardedScopes;
    private final java.util.Set<String> acrLevels;
    private final java.util.Set<String> amrValues;
    private final dev.lifespan.issuer.revocation.RevocationRelay relay;

    public SessionService(SessionStore store, Pool pool, ClientRegistry clients, LifetimePolicy policy, AccessTokenMinter minter,
            TokenHasher hasher, IssuerMetrics metrics, InstantSource clock, dev.lifespan.issuer.config.LifespanConfig config,
            dev.lifespan.issuer.revocation.RevocationRelay relay) {
        this.relay = relay;
        this.guardedScopes = java.util.Set.copyOf(config.scopePolicies().keySet());
        this.acrLevels = java.util.Set.copyOf(config.acrLevels());
        this.amrValues = java.util.Set.copyOf(config.amrValues());
        this.store = store;
        this.pool = pool;
        this.clients = clients;
        this.policy = policy;
        this.minter = minter;
        this.hasher = hasher;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Creates a session for an authenticated subject; returns its first access and refresh token. */
    public Uni<IssueTokensResponse> issue(IssueTokensRequest request) {
        Instant now = Clocks.now(clock);
        String subject = Inputs.required("subject", request.getSubject(), Inputs.SUBJECT);
        RegisteredClient client = clients.require(Inputs.required("client_id", request.getClientId(), Inputs.ID), "client_id");
        List<String> scopes = grantedScopes(client, Inputs.words("scopes", request.getScopesList(), MAX_SCOPES, Inputs.ID),
                guardedScopes);
        List<String> audience = audiences(client, Inputs.words("audience", request.getAudienceList(), MAX_AUDIENCES, Inputs.SUBJECT));
        List<String> roles = Inputs.words("roles", request.getRolesList(), 32, Inputs.SHORT);
        List<String> amr = Inputs.wordsOf("amr", request.getAmrList(), 8, Inputs.SHORT, amrValues);
        String acr = Inputs.optionalOf("acr", request.getAcr(), Inputs.SHORT, acrLevels);
        String deviceId = Inputs.optional("device_id", request.getDeviceId(), Inputs.ID);
        String sourceIp = Inputs.optional("source_ip", request.getSourceIp(), Inputs.SHORT);
        String profile = Inputs.optional("profile", request.getProfile(), Inputs.SHORT);
        RiskLevel risk = Inputs.enumValue("risk_level", request.getRiskLevelValue(), RiskLevel::forNumber, false);
        Instant authTime = instant("auth_time", request.hasAuthTime(), request.getAuthTime());
        if (authTime != null && authTime.isAfter(now.plusSeconds(60))) {
            throw ServiceException.invalidField("auth_time", "is in the future");
        }
        if (!client.allows("refresh_token")) {
            throw new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "client " + client.id() + " may not hold user sessions");
        }
        Lifetimes lifetimes = policy.decide(new LifetimePolicy.Request(profile, roles, scopes, acr, authTime, risk, deviceId), client,
                now);

        String sid = SecureTokens.tokenId();
        String jti = SecureTokens.tokenId();
        Instant sessionEnd = now.plus(lifetimes.refreshAllowed() ? lifetimes.sessionLifetime() : lifetimes.accessTtl());
        Instant accessExpiry = min(now.plus(lifetimes.accessTtl()), sessionEnd);
        String refreshToken = lifetimes.refreshAllowed() ? OpaqueTokens.newToken(OpaqueTokens.REFRESH_PREFIX) : null;
        NewSession session = new NewSession(sid, subject, client.id(), lifetimes.profile(), lifetimes.deviceBound() ? deviceId : null,
                scopes, audience, roles, acr, amr, authTime, lifetimes.accessTtl().toSeconds(), lifetimes.idleTimeout().toSeconds(),
                lifetimes.reuseGrace().toSeconds(), now, sessionEnd);
        AccessToken access = minter.mint(new AccessTokenClaims(subject, audience, now, accessExpiry, jti, sid, client.id(), scopes,
                authTime, acr, amr, roles));
        return store.create(session, refreshToken == null ? null : hasher.hash(refreshToken), jti, sourceIp)
                .map(ignored -> {
                    metrics.issued("access", lifetimes.profile());
                    IssueTokensResponse.Builder response = IssueTokensResponse.newBuilder()
                            .setAccessToken(access)
                            .setSessionId(sid)
                            .setProfile(lifetimes.profile());
                    if (refreshToken != null) {
                        response.setRefreshToken(RefreshToken.newBuilder()
                                .setToken(refreshToken)
                                .setSessionExpiresAt(timestamp(sessionEnd))
                                .setIdleExpiresAt(timestamp(min(now.plus(lifetimes.idleTimeout()), sessionEnd))));
                    }
                    return response.build();
                });
    }

    /** A subject's sessions, newest first. */
    public Uni<ListSessionsResponse> list(String subjectInput, boolean includeEnded, int pageSizeInput) {
        String subject = Inputs.required("subject", subjectInput, Inputs.SUBJECT);
        if (pageSizeInput < 0 || pageSizeInput > 500) {
            throw ServiceException.invalidField("page_size", "must be between 0 and 500 (0 means 100)");
        }
        int pageSize = pageSizeInput == 0 ? 100 : pageSizeInput;
        Instant now = Clocks.now(clock);
        return pool.preparedQuery("SELECT " + SessionRow.columns("") + " FROM session WHERE subject = $1"
                        + (includeEnded ? "" : " AND state = 'ACTIVE' AND expires_at > $3")
                        + " ORDER BY created_at DESC LIMIT $2")
                .execute(includeEnded ? Tuple.of(subject, pageSize) : Tuple.of(subject, pageSize, Clocks.utc(now)))
                .map(rows -> {
                    ListSessionsResponse.Builder response = ListSessionsResponse.newBuilder();
                    rows.forEach(row -> {
                        SessionRow session = SessionRow.from(row);
                        if (includeEnded || effectiveState(session, now) == SessionState.SESSION_STATE_ACTIVE) {
                            response.addSessions(toProto(session, now));
                        }
                    });
                    return response.build();
                });
    }

    /** Ends a session and every refresh token in it; idempotent. */
    public Uni<EndSessionResponse> end(String sidInput, String reasonInput) {
        String sid = Inputs.required("session_id", sidInput, Inputs.SHORT);
        String reason = Inputs.optional("reason", reasonInput, Inputs.REASON);
        Instant now = Clocks.now(clock);
        return store.end(sid, "REVOKED", reason == null ? "ended" : reason, now, AuditEventType.SESSION_ENDED, null, null)
                .invoke(ended -> ended.ifPresent(ignored -> relay.nudge()))
                .chain(ended -> ended.isPresent()
                        ? Uni.createFrom().item(EndSessionResponse.newBuilder().setSession(toProto(ended.get(), now)).setEndedNow(true).build())
                        : store.find(sid).map(existing -> EndSessionResponse.newBuilder()
                                .setSession(toProto(existing.orElseThrow(() -> new ServiceException(ErrorKind.NOT_FOUND, "no such session")), now))
                                .setEndedNow(false).build()));
    }

    static SessionState effectiveState(SessionRow s, Instant now) {
        return switch (s.state()) {
            case "REVOKED" -> SessionState.SESSION_STATE_REVOKED;
            case "IDLE_EXPIRED" -> SessionState.SESSION_STATE_IDLE_EXPIRED;
            case "EXPIRED" -> SessionState.SESSION_STATE_EXPIRED;
            default -> !now.isBefore(s.expiresAt()) ? SessionState.SESSION_STATE_EXPIRED
                    : !now.isBefore(s.idleExpiresAt()) ? SessionState.SESSION_STATE_IDLE_EXPIRED
                    : SessionState.SESSION_STATE_ACTIVE;
        };
    }

    static Session toProto(SessionRow s, Instant now) {
        Session.Builder b = Session.newBuilder()
                .setSessionId(s.sid())
                .setSubject(s.subject())
                .setClientId(s.clientId())
                .setProfile(s.profile())
                .setCreatedAt(timestamp(s.createdAt()))
                .setLastActivityAt(timestamp(s.lastActivityAt()))
                .setExpiresAt(timestamp(s.expiresAt()))
                .setIdleExpiresAt(timestamp(min(s.idleExpiresAt(), s.expiresAt())))
                .setState(effectiveState(s, now));
        if (s.deviceId() != null) {
            b.setDeviceId(s.deviceId());
        }
        if (s.revokeReason() != null) {
            b.setRevokeReason(s.revokeReason());
        }
        return b.build();
    }

    /**
     * Requested scopes, each allowed for the client. None requested means the client's scopes that
     * need no step-up: a scope with a policy (stronger acr, fresher auth) is only granted when asked for.
     */
    static List<String> grantedScopes(RegisteredClient client, List<String> requested, java.util.Set<String> guarded) {
        if (requested.isEmpty()) {
            return client.scopes().stream().filter(s -> !guarded.contains(s)).toList();
        }
        for (String scope : requested) {
            if (!client.scopes().contains(scope)) {
                throw new ServiceException(ErrorKind.INVALID_SCOPE, "scope " + scope + " is not allowed for client " + client.id());
            }
        }
        return requested;
    }

    /** Requested audiences, each declared for the client; none requested means the client's defaults. */
    static List<String> audiences(RegisteredClient client, List<String> requested) {
        if (requested.isEmpty()) {
            return client.audiences();
        }
        for (String audience : requested) {
            if (!client.audiences().contains(audience)) {
                throw ServiceException.invalidField("audience", "names " + audience + ", which is not an audience of client " + client.id());
            }
        }
        return requested;
    }

    static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }
}
