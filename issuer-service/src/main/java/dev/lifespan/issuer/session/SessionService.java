package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.RiskLevel;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.profile.LifetimePolicy;
import dev.lifespan.issuer.profile.Lifetimes;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.issuer.token.MintedToken;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.validator.jose.Base64Url;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** Starting, listing and ending sessions. */
@Singleton
public class SessionService {
    static final int MAX_SCOPES = 64;
    static final int MAX_AUDIENCES = 16;

    private final SessionStore store;
    private final ClientRegistry clients;
    private final LifetimePolicy policy;
    private final AccessTokenMinter minter;
    private final TokenHasher hasher;
    private final RefreshTokens refreshTokens;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final PendingRevocations revocations;
    private final Set<String> guardedScopes;
    private final Set<String> acrLevels;
    private final Set<String> amrValues;

    public SessionService(SessionStore store, ClientRegistry clients, LifetimePolicy policy, AccessTokenMinter minter, TokenHasher hasher,
            RefreshTokens refreshTokens, IssuerMetrics metrics, InstantSource clock, LifespanConfig config, PendingRevocations revocations) {
        this.store = store;
        this.clients = clients;
        this.policy = policy;
        this.minter = minter;
        this.hasher = hasher;
        this.refreshTokens = refreshTokens;
        this.metrics = metrics;
        this.clock = clock;
        this.revocations = revocations;
        this.guardedScopes = Set.copyOf(config.scopePolicies().keySet());
        this.acrLevels = Set.copyOf(config.acrLevels());
        this.amrValues = Set.copyOf(config.amrValues());
    }

    /**
     * A sign-in as the login service reports it: raw strings (checked here), the time and risk already read from
     * the wire by the endpoint.
     *
     * @param authTime null when not known
     * @param risk     null when not given
     */
    public record IssueCommand(String subject, String clientId, List<String> scopes, List<String> audience, String profile,
            Instant authTime, String acr, List<String> amr, List<String> roles, String deviceId, RiskLevel risk, String sourceIp) {
    }

    /** Creates a session for an authenticated subject; returns its first access and refresh token. */
    public Uni<TokenPair> issue(IssueCommand command) {
        Instant now = Clocks.now(clock);
        String subject = Inputs.required("subject", command.subject(), Inputs.SUBJECT);
        RegisteredClient client = clients.require(Inputs.required("client_id", command.clientId(), Inputs.ID), "client_id");
        List<String> scopes = grantedScopes(client, Inputs.words("scopes", command.scopes(), MAX_SCOPES, Inputs.ID), guardedScopes);
        List<String> audience = audiences(client, Inputs.words("audience", command.audience(), MAX_AUDIENCES, Inputs.SUBJECT));
        List<String> roles = Inputs.words("roles", command.roles(), 32, Inputs.SHORT);
        List<String> amr = Inputs.wordsOf("amr", command.amr(), 8, Inputs.SHORT, amrValues);
        String acr = Inputs.optionalOf("acr", command.acr(), Inputs.SHORT, acrLevels);
        String deviceId = Inputs.optional("device_id", command.deviceId(), Inputs.ID);
        String sourceIp = Inputs.optional("source_ip", command.sourceIp(), Inputs.SHORT);
        String profile = Inputs.optional("profile", command.profile(), Inputs.SHORT);
        Instant authTime = command.authTime();
        if (authTime != null && authTime.isAfter(now.plusSeconds(60))) {
            throw ServiceException.invalidField("auth_time", "is in the future");
        }
        if (!client.allows("refresh_token")) {
            throw new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "client " + client.id() + " may not hold user sessions");
        }
        Lifetimes lifetimes;
        try {
            lifetimes = policy.decide(new LifetimePolicy.Request(profile, roles, scopes, acr, authTime, command.risk(), deviceId), client,
                    now);
        } catch (ServiceException e) {
            if (e.kind() != ErrorKind.INSUFFICIENT_USER_AUTHENTICATION) {
                throw e;
            }
            // RFC 9470 step-up: the refusal is an audit event of its own.
            return store.recordStepUp(subject, client.id(), sourceIp, e.getMessage(), now).chain(() -> Uni.createFrom().failure(e));
        }

        String sid = SecureTokens.tokenId();
        String jti = SecureTokens.tokenId();
        Instant sessionEnd = LifetimePolicy.sessionEnd(now, lifetimes);
        String refreshToken = lifetimes.refreshAllowed() ? refreshTokens.newToken(sid) : null;
        NewSession session = new NewSession(sid, subject, client.id(), lifetimes.profile(), lifetimes.deviceBound() ? deviceId : null,
                scopes, audience, roles, acr, amr, authTime, lifetimes.accessTtl().toSeconds(), lifetimes.idleTimeout().toSeconds(),
                lifetimes.reuseGrace().toSeconds(), now, sessionEnd);
        MintedToken access = minter.mint(new AccessTokenClaims(subject, audience, now,
                LifetimePolicy.accessExpiry(now, lifetimes.accessTtl(), sessionEnd), jti, sid, client.id(), scopes, authTime, acr, amr, roles));
        return store.create(session, refreshToken == null ? null : hasher.hash(refreshToken), jti, sourceIp)
                .map(ignored -> {
                    metrics.issued("access", lifetimes.profile());
                    return new TokenPair(access, refreshToken, sid, lifetimes.profile(), sessionEnd,
                            LifetimePolicy.idleExpiry(now, lifetimes.idleTimeout(), sessionEnd));
                });
    }

    /** A page of a subject's sessions, and the token of the next page (null on the last one). */
    public record Page(List<SessionView> sessions, String nextPageToken) {
    }

    /**
     * A subject's sessions, newest first: only the live ones unless {@code includeEnded}; a page of {@code pageSize} (0:
     * 100), after the page whose {@code next_page_token} is {@code pageTokenInput} (empty: the first page).
     */
    public Uni<Page> list(String subjectInput, boolean includeEnded, int pageSizeInput, String pageTokenInput) {
        String subject = Inputs.required("subject", subjectInput, Inputs.SUBJECT);
        if (pageSizeInput < 0 || pageSizeInput > 500) {
            throw ServiceException.invalidField("page_size", "must be between 0 and 500 (0 means 100)");
        }
        int pageSize = pageSizeInput == 0 ? 100 : pageSizeInput;
        SessionStore.After after = after(pageTokenInput);
        Instant now = Clocks.now(clock);
        // One more than the page: whether there is a next page is known without an empty last one.
        return store.list(subject, includeEnded, pageSize + 1, now, after).map(rows -> {
            List<SessionRow> page = rows.size() > pageSize ? rows.subList(0, pageSize) : rows;
            return new Page(page.stream().map(row -> new SessionView(row, SessionLiveness.status(row, now))).toList(),
                    rows.size() > pageSize ? pageToken(page.get(page.size() - 1)) : null);
        });
    }

    /** The next page starts after this session: its creation time (microseconds) and sid, opaque to callers. */
    static String pageToken(SessionRow last) {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, last.createdAt());
        return Base64Url.encode((micros + "." + last.sid()).getBytes(StandardCharsets.UTF_8));
    }

    /** Where a page starts, from the token of the page before; null for the first page. */
    static SessionStore.After after(String pageToken) {
        if (pageToken == null || pageToken.isEmpty()) {
            return null;
        }
        String text;
        try {
            text = pageToken.length() > MAX_PAGE_TOKEN ? "" : new String(Base64Url.decodeCanonical(pageToken), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            text = "";
        }
        int dot = text.indexOf('.');
        String sid = dot < 0 ? "" : text.substring(dot + 1);
        if (dot < 1 || dot > 17 || sid.isEmpty() || sid.length() > Inputs.SHORT || !text.substring(0, dot).chars().allMatch(Character::isDigit)) {
            throw ServiceException.invalidField("page_token", "is not a next_page_token that ListSessions answered");
        }
        return new SessionStore.After(Instant.EPOCH.plus(Long.parseLong(text.substring(0, dot)), ChronoUnit.MICROS), sid);
    }

    static final int MAX_PAGE_TOKEN = 128;

    /** What ending a session did. */
    public record Ended(SessionView session, boolean endedNow) {
    }

    /** Ends a session and every refresh token in it, everywhere; idempotent. */
    public Uni<Ended> end(String sidInput, String reasonInput) {
        String sid = Inputs.required("session_id", sidInput, Inputs.SHORT);
        String reason = Inputs.optional("reason", reasonInput, Inputs.REASON);
        Instant now = Clocks.now(clock);
        return store.end(sid, SessionStore.Ending.REVOKED, reason == null ? "ended" : reason, now, null)
                .invoke(ended -> ended.ifPresent(ignored -> revocations.announce()))
                .chain(ended -> ended.isPresent()
                        ? Uni.createFrom().item(new Ended(new SessionView(ended.get(), SessionLiveness.status(ended.get(), now)), true))
                        : store.find(sid).map(existing -> new Ended(existing.map(row -> new SessionView(row, SessionLiveness.status(row, now)))
                                .orElseThrow(() -> new ServiceException(ErrorKind.NOT_FOUND, "no such session")), false)));
    }

    /** What ending a subject's sessions did: how many it ended, and the newest {@value #ENDED_SHOWN} of them. */
    public record EndedAll(long ended, List<SessionView> newest) {
    }

    static final int ENDED_SHOWN = 500;

    /**
     * Ends every ACTIVE session of a subject, as {@link #end} ends one, a page of {@value SessionStore#SUBJECT_PAGE} per
     * statement until none is left (sessions begun meanwhile included); idempotent.
     */
    public Uni<EndedAll> endAll(String subjectInput, String reasonInput) {
        String subject = Inputs.required("subject", subjectInput, Inputs.SUBJECT);
        String reason = Inputs.optional("reason", reasonInput, Inputs.REASON);
        Instant now = Clocks.now(clock);
        return endPages(subject, reason == null ? "ended" : reason, now, 0, new ArrayList<>())
                .invoke(ended -> {
                    if (ended.ended() > 0) {
                        revocations.announce();
                    }
                });
    }

    private Uni<EndedAll> endPages(String subject, String reason, Instant now, long soFar, List<SessionRow> newest) {
        return store.endPageOfSubject(subject, reason, now, SessionStore.SUBJECT_PAGE).chain(page -> {
            if (page.isEmpty()) {
                return Uni.createFrom().item(new EndedAll(soFar, newest.stream()
                        .map(row -> new SessionView(row, SessionLiveness.status(row, now))).toList()));
            }
            newest.addAll(page);
            newest.sort(Comparator.comparing(SessionRow::createdAt).reversed());
            if (newest.size() > ENDED_SHOWN) {
                newest.subList(ENDED_SHOWN, newest.size()).clear();
            }
            return endPages(subject, reason, now, soFar + page.size(), newest);
        });
    }

    /**
     * Requested scopes, each allowed for the client. None requested means the client's scopes that
     * need no step-up: a scope with a policy (stronger acr, fresher auth) is only granted when asked for.
     */
    static List<String> grantedScopes(RegisteredClient client, List<String> requested, Set<String> guarded) {
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
}
