package dev.lifespan.issuer.token;

import dev.lifespan.api.v1.AccessToken;
import dev.lifespan.issuer.audit.AuditEventType;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.ratelimit.RateLimiter;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/** Client-credentials grant: a short-lived access token whose subject is the client itself, no refresh. */
@Singleton
public class ServiceTokens {
    private final ClientRegistry clients;
    private final AccessTokenMinter minter;
    private final Pool pool;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final RateLimiter rateLimiter;

    public ServiceTokens(ClientRegistry clients, AccessTokenMinter minter, Pool pool, IssuerMetrics metrics, InstantSource clock,
            RateLimiter rateLimiter) {
        this.rateLimiter = rateLimiter;
        this.clients = clients;
        this.minter = minter;
        this.pool = pool;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Raw input as received. */
    public record Command(String clientId, String clientSecret, List<String> scopes, List<String> audience, String sourceIp) {
    }

    public Uni<AccessToken> issue(Command command) {
        String clientId = Inputs.required("client_id", command.clientId(), Inputs.ID);
        String secret = Inputs.optional("client_secret", command.clientSecret(), Inputs.SECRET);
        List<String> requested = Inputs.words("scopes", command.scopes(), 64, Inputs.ID);
        List<String> audience = Inputs.words("audience", command.audience(), 16, Inputs.SUBJECT);
        String sourceIp = Inputs.optional("source_ip", command.sourceIp(), Inputs.SHORT);
        RegisteredClient client = clients.authenticate(clientId, secret);
        if (!client.allows("client_credentials")) {
            throw new ServiceException(ErrorKind.UNAUTHORIZED_CLIENT, "client may not use the client_credentials grant");
        }
        List<String> scopes = requested.isEmpty() ? List.copyOf(client.scopes()) : requested;
        for (String scope : scopes) {
            if (!client.scopes().contains(scope)) {
                throw new ServiceException(ErrorKind.INVALID_SCOPE, "scope " + scope + " is not allowed for this client");
            }
        }
        for (String aud : audience) {
            if (!client.audiences().contains(aud)) {
                throw ServiceException.invalidField("audience", "names " + aud + ", which is not an audience of this client");
            }
        }
        return rateLimiter.admit(client.id(), sourceIp).chain(() -> mint(client, scopes, audience, sourceIp));
    }

    private Uni<AccessToken> mint(RegisteredClient client, List<String> scopes, List<String> audience, String sourceIp) {
        Instant now = Clocks.now(clock);
        String jti = SecureTokens.tokenId();
        AccessToken token = minter.mint(new AccessTokenClaims(client.id(), audience.isEmpty() ? client.audiences() : audience, now,
                now.plus(client.serviceTokenTtl()), jti, null, client.id(), scopes, null, null, List.of(), List.of()));
        return pool.preparedQuery("INSERT INTO audit_outbox (event_id, type, occurred_at, subject, client_id, token_id, source_ip,"
                        + " attributes) VALUES ($1, $2, $3, $4, $4, $5, $6, jsonb_build_object('profile', 'service'))")
                .execute(Tuple.from(Arrays.asList(UUID.randomUUID(), AuditEventType.TOKEN_ISSUED, Clocks.utc(now), client.id(), jti,
                        sourceIp)))
                .map(ignored -> {
                    metrics.issued("service", "service");
                    return token;
                });
    }
}
