package dev.lifespan.issuer.singleuse;

import com.google.protobuf.ByteString;
import dev.lifespan.api.v1.IssueSingleUseTokenRequest;
import dev.lifespan.api.v1.IssueSingleUseTokenResponse;
import dev.lifespan.api.v1.RedeemSingleUseTokenRequest;
import dev.lifespan.api.v1.RedeemSingleUseTokenResponse;
import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.issuer.audit.AuditEventType;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.config.ConfigurationCheck;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.support.time.Clocks;
import dev.lifespan.issuer.token.OpaqueTokens;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;

import static dev.lifespan.support.input.ProtoTime.timestamp;
import static dev.lifespan.support.time.Clocks.utc;

/**
 * Purpose-bound tokens redeemable exactly once. Redemption is one conditional UPDATE: of any
 * number of concurrent redemptions PostgreSQL lets exactly one see {@code redeemed_at IS NULL};
 * the rest are refused, and a redemption of an already-redeemed token is audited as a replay.
 */
@Singleton
public class SingleUseTokens {
    static final int MAX_BINDING_BYTES = 1024;

    private final Pool pool;
    private final ClientRegistry clients;
    private final TokenHasher hasher;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final Duration defaultTtl;

    public SingleUseTokens(Pool pool, ClientRegistry clients, TokenHasher hasher, IssuerMetrics metrics, InstantSource clock,
            LifespanConfig config) {
        this.pool = pool;
        this.clients = clients;
        this.hasher = hasher;
        this.metrics = metrics;
        this.clock = clock;
        this.defaultTtl = config.profiles().get("single-use").accessTtl();
    }

    public Uni<IssueSingleUseTokenResponse> issue(IssueSingleUseTokenRequest request) {
        String subject = Inputs.required("subject", request.getSubject(), Inputs.SUBJECT);
        String clientId = clients.require(Inputs.required("client_id", request.getClientId(), Inputs.ID), "client_id").id();
        SingleUsePurpose purpose = purpose(request.getPurposeValue());
        Inputs.bytes("binding", request.getBinding(), MAX_BINDING_BYTES);
        Duration ttl = request.getTtlSeconds() == 0 ? defaultTtl : Duration.ofSeconds(request.getTtlSeconds());
        if (ttl.compareTo(ConfigurationCheck.MIN_SINGLE_USE_TTL) < 0 || ttl.compareTo(ConfigurationCheck.MAX_SINGLE_USE_TTL) > 0) {
            throw ServiceException.invalidField("ttl_seconds", "must be between 300 and 1800 (or 0 for the default)");
        }
        Instant now = Clocks.now(clock);
        Instant expiresAt = now.plus(ttl);
        String token = OpaqueTokens.newToken(OpaqueTokens.SINGLE_USE_PREFIX);
        String tokenId = SecureTokens.tokenId();
        return pool.preparedQuery("WITH t AS (INSERT INTO single_use_token (token_hash, token_id, purpose, subject, client_id, binding,"
                        + " issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *)"
                        + " INSERT INTO audit_outbox (event_id, type, occurred_at, subject, client_id, token_id, attributes)"
                        + " SELECT $9, $10, issued_at, subject, client_id, token_id, jsonb_build_object('purpose', purpose) FROM t")
                .execute(Tuple.from(List.of(hasher.hash(token), tokenId, purpose.name(), subject, clientId,
                        request.getBinding().toByteArray(), utc(now), utc(expiresAt), UUID.randomUUID(), AuditEventType.SINGLE_USE_ISSUED)))
                .map(ignored -> {
                    metrics.issued("single_use", "single-use");
                    return IssueSingleUseTokenResponse.newBuilder()
                            .setToken(token)
                            .setTokenId(tokenId)
                            .setExpiresAt(timestamp(expiresAt))
                            .build();
                });
    }

    public Uni<RedeemSingleUseTokenResponse> redeem(RedeemSingleUseTokenRequest request) {
        String token = Inputs.required("token", request.getToken(), Inputs.TOKEN);
        SingleUsePurpose purpose = purpose(request.getPurposeValue());
        String clientId = Inputs.required("client_id", request.getClientId(), Inputs.ID);
        if (!OpaqueTokens.isWellFormed(OpaqueTokens.SINGLE_USE_PREFIX, token)) {
            metrics.singleUse("malformed");
            throw ServiceException.invalidGrant("single-use token is invalid");
        }
        byte[] hash = hasher.hash(token);
        Instant now = Clocks.now(clock);
        return pool.preparedQuery("WITH t AS (UPDATE single_use_token SET redeemed_at = $2 WHERE token_hash = $1"
                        + " AND redeemed_at IS NULL AND expires_at > $2 AND purpose = $3 AND client_id = $6 RETURNING *)"
                        + ", e AS (INSERT INTO audit_outbox (event_id, type, occurred_at, subject, client_id, token_id, attributes)"
                        + " SELECT $4, $5, $2, subject, client_id, token_id, jsonb_build_object('purpose', purpose) FROM t)"
                        + " SELECT subject, token_id, binding, client_id FROM t")
                .execute(Tuple.from(List.of(hash, utc(now), purpose.name(), UUID.randomUUID(), AuditEventType.SINGLE_USE_REDEEMED,
                        clientId)))
                .chain(rows -> {
                    if (rows.size() == 1) {
                        metrics.singleUse("redeemed");
                        Row row = rows.iterator().next();
                        return Uni.createFrom().item(RedeemSingleUseTokenResponse.newBuilder()
                                .setSubject(row.getString("subject"))
                                .setTokenId(row.getString("token_id"))
                                .setBinding(ByteString.copyFrom(row.getBuffer("binding").getBytes()))
                                .setClientId(row.getString("client_id"))
                                .build());
                    }
                    return refused(hash, purpose, clientId, now);
                });
    }

    /**
     * Why a redemption failed; a second redemption is audited as SINGLE_USE_REPLAYED. Presented by a client other
     * than the one it was issued for, a token is as unknown as a made-up one.
     */
    private Uni<RedeemSingleUseTokenResponse> refused(byte[] hash, SingleUsePurpose purpose, String clientId, Instant now) {
        return pool.preparedQuery("WITH t AS (SELECT * FROM single_use_token WHERE token_hash = $1 AND client_id = $5)"
                        + ", e AS (INSERT INTO audit_outbox (event_id, type, occurred_at, subject, client_id, token_id, attributes)"
                        + " SELECT $2, $3, $4, subject, client_id, token_id, jsonb_build_object('purpose', purpose) FROM t"
                        + " WHERE redeemed_at IS NOT NULL)"
                        + " SELECT purpose, expires_at, redeemed_at FROM t")
                .execute(Tuple.from(List.of(hash, UUID.randomUUID(), AuditEventType.SINGLE_USE_REPLAYED, utc(now), clientId)))
                .chain(rows -> {
                    String why;
                    if (rows.size() == 0) {
                        why = "unknown";
                    } else {
                        Row row = rows.iterator().next();
                        why = row.getOffsetDateTime("redeemed_at") != null ? "replayed"
                                : !row.getString("purpose").equals(purpose.name()) ? "wrong_purpose" : "expired";
                    }
                    metrics.singleUse(why);
                    return Uni.createFrom().failure(ServiceException.invalidGrant(switch (why) {
                        case "replayed" -> "single-use token was already redeemed";
                        case "expired" -> "single-use token has expired";
                        default -> "single-use token is invalid";
                    }));
                });
    }

    private static SingleUsePurpose purpose(int number) {
        return Inputs.enumValue("purpose", number, SingleUsePurpose::forNumber, true);
    }
}
