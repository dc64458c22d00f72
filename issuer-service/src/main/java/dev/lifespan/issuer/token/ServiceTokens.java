package dev.lifespan.issuer.token;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.client.RegisteredClient;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.ratelimit.RateLimiter;
import dev.lifespan.support.audit.AuditOutbox;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.GroupRows;
import dev.lifespan.support.postgres.StatementGroup;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.time.OffsetDateTime;
import java.util.Comparator;
import java.util.List;

import static dev.lifespan.support.time.Clocks.utc;

/** Client-credentials grant: a short-lived access token whose subject is the client itself, no refresh. */
@Singleton
public class ServiceTokens {
    static final int MAX_SCOPES = 64;
    static final int MAX_AUDIENCES = 16;

    /** TOKEN_ISSUED for each call of a group ({@link StatementGroup}): arrays $1 now, $2 client, $3 token id, $4 source address. */
    private static final String ISSUED = AuditOutbox.event(EventType.TOKEN_ISSUED).at("at_time").subject("client").client("client")
            .token("jti").sourceIp("source_ip").attributes("jsonb_build_object('profile', 'service')")
            .from(GroupRows.from("i", 1, "at_time timestamptz", "client text", "jti text", "source_ip text")).insert();

    /** One service token's audit row. */
    private record Issued(Instant now, String clientId, String jti, String sourceIp) {
    }

    private final ClientRegistry clients;
    private final AccessTokenMinter minter;
    private final BoundedPostgres postgres;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final RateLimiter rateLimiter;
    private final StatementGroup<Issued, Void> audited;

    public ServiceTokens(ClientRegistry clients, AccessTokenMinter minter, BoundedPostgres postgres, IssuerMetrics metrics,
            InstantSource clock, RateLimiter rateLimiter, LifespanConfig config, MeterRegistry registry) {
        this.rateLimiter = rateLimiter;
        // No rows are locked, so no order is needed but a total one (token ids are unique: no call waits for another).
        this.audited = postgres.group(config.groupCommit().concurrentStatements(), config.groupCommit().groupSize(),
                Comparator.comparing(Issued::jti), this::recordTogether).meter(registry, "service_token_audit");
        this.clients = clients;
        this.minter = minter;
        this.postgres = postgres;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * A client-credentials request as received (raw, unchecked input), from gRPC or {@code POST /oauth2/token}, and the
     * connection's own address, under which a failed client authentication is counted (as in {@link
     * dev.lifespan.issuer.session.RefreshCommand}).
     */
    public record Command(String clientId, String clientSecret, List<String> scopes, List<String> audience, String sourceIp,
            String callerAddress) {
    }

    public Uni<MintedToken> issue(Command command) {
        String clientId = Inputs.required("client_id", command.clientId(), Inputs.ID);
        String secret = Inputs.optional("client_secret", command.clientSecret(), Inputs.SECRET);
        List<String> requested = Inputs.words("scopes", command.scopes(), MAX_SCOPES, Inputs.ID);
        List<String> audience = Inputs.words("audience", command.audience(), MAX_AUDIENCES, Inputs.SUBJECT);
        String sourceIp = Inputs.optional("source_ip", command.sourceIp(), Inputs.SHORT);
        RegisteredClient client = clients.authenticate(clientId, secret, command.callerAddress());
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

    private Uni<MintedToken> mint(RegisteredClient client, List<String> scopes, List<String> audience, String sourceIp) {
        Instant now = Clocks.now(clock);
        String jti = SecureTokens.tokenId();
        Issued issued = new Issued(now, client.id(), jti, sourceIp);
        // The audit row joins its group first and the token is signed while the row waits for its commit; the token is
        // answered only once both are done, so none leaves without its committed TOKEN_ISSUED row.
        Uni<Boolean> recorded = postgres.queued(take -> audited.submit(issued, take)).replaceWith(Boolean.TRUE);
        Uni<MintedToken> signed = Uni.createFrom().item(() -> minter.mint(new AccessTokenClaims(client.id(),
                audience.isEmpty() ? client.audiences() : audience, now, now.plus(client.serviceTokenTtl()), jti, null, client.id(),
                scopes, null, null, List.of(), List.of())));
        return Uni.combine().all().unis(recorded, signed).asTuple()
                .map(both -> {
                    metrics.issued("service", "service");
                    return both.getItem2();
                });
    }

    private Uni<Void> recordTogether(List<StatementGroup.Member<Issued, Void>> group) {
        int size = group.size();
        OffsetDateTime[] now = new OffsetDateTime[size];
        String[] client = new String[size];
        String[] jti = new String[size];
        String[] sourceIp = new String[size];
        for (int i = 0; i < size; i++) {
            Issued issued = group.get(i).input();
            now[i] = utc(issued.now());
            client[i] = issued.clientId();
            jti[i] = issued.jti();
            sourceIp[i] = issued.sourceIp();
        }
        return postgres.execute(ISSUED, Tuple.from(GroupRows.parameters(now, client, jti, sourceIp))).invoke(rows -> group.forEach(member -> member.answer(null)))
                .replaceWithVoid();
    }
}
