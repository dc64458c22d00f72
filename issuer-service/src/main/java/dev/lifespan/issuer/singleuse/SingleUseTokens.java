package dev.lifespan.issuer.singleuse;

import dev.lifespan.api.v1.SingleUsePurpose;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.issuer.client.ClientRegistry;
import dev.lifespan.issuer.config.ConfigurationCheck;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.crypto.TokenHasher;
import dev.lifespan.issuer.feed.IssuerValidatingNode;
import dev.lifespan.issuer.metrics.IssuerMetrics;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.issuer.token.OpaqueTokens;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;

/**
 * Purpose-bound tokens redeemable exactly once, by the client they were issued for. N concurrent redemptions give
 * exactly one success ({@link SingleUseTokenStore}); a redemption of an already-redeemed token is audited as a
 * replay. A token a revocation rule covers (a TOKEN rule naming its public id, or a SUBJECT, CLIENT or GLOBAL rule cut
 * off after its issue; {@link IssuerValidatingNode#revocationOf}) is refused and stays unredeemed.
 */
@Singleton
public class SingleUseTokens {
    static final int MAX_BINDING_BYTES = 1024;
    private static final String REVOKED = "single-use token was revoked";

    private final SingleUseTokenStore store;
    private final ClientRegistry clients;
    private final TokenHasher hasher;
    private final IssuerMetrics metrics;
    private final InstantSource clock;
    private final Duration defaultTtl;
    private final IssuerValidatingNode node;
    private final PendingRevocations revocations;

    public SingleUseTokens(SingleUseTokenStore store, ClientRegistry clients, TokenHasher hasher, IssuerMetrics metrics,
            InstantSource clock, LifespanConfig config, IssuerValidatingNode node, PendingRevocations revocations) {
        this.node = node;
        this.revocations = revocations;
        this.store = store;
        this.clients = clients;
        this.hasher = hasher;
        this.metrics = metrics;
        this.clock = clock;
        this.defaultTtl = config.profiles().get("single-use").accessTtl();
    }

    /** A token to issue: raw strings checked here; the purpose already read from the wire (null when unset). */
    public record IssueCommand(String subject, SingleUsePurpose purpose, String clientId, long ttlSeconds, byte[] binding) {
    }

    /** The token to hand to its user (never logged or stored), its public id and its end. */
    public record Issued(String token, String tokenId, Instant expiresAt) {
    }

    public Uni<Issued> issue(IssueCommand command) {
        String subject = Inputs.required("subject", command.subject(), Inputs.SUBJECT);
        String clientId = clients.require(Inputs.required("client_id", command.clientId(), Inputs.ID), "client_id").id();
        SingleUsePurpose purpose = required(command.purpose());
        byte[] binding = command.binding() == null ? new byte[0] : command.binding();
        if (binding.length > MAX_BINDING_BYTES) {
            throw ServiceException.invalidField("binding", "is larger than " + MAX_BINDING_BYTES + " bytes");
        }
        Duration ttl = command.ttlSeconds() == 0 ? defaultTtl : Duration.ofSeconds(command.ttlSeconds());
        if (ttl.compareTo(ConfigurationCheck.MIN_SINGLE_USE_TTL) < 0 || ttl.compareTo(ConfigurationCheck.MAX_SINGLE_USE_TTL) > 0) {
            throw ServiceException.invalidField("ttl_seconds", "must be between " + ConfigurationCheck.MIN_SINGLE_USE_TTL.toSeconds() + " and "
                    + ConfigurationCheck.MAX_SINGLE_USE_TTL.toSeconds() + " (or 0 for the default)");
        }
        Instant now = Clocks.now(clock);
        Instant expiresAt = now.plus(ttl);
        String token = OpaqueTokens.newToken(OpaqueTokens.SINGLE_USE_PREFIX);
        String tokenId = SecureTokens.tokenId();
        return store.issue(hasher.hash(token), tokenId, purpose.name(), subject, clientId, binding, now, expiresAt)
                .map(ignored -> {
                    metrics.issued("single_use", "single-use");
                    return new Issued(token, tokenId, expiresAt);
                });
    }

    /** A redemption: raw strings checked here; the purpose already read from the wire (null when unset). */
    public record RedeemCommand(String token, SingleUsePurpose purpose, String clientId) {
    }

    public Uni<SingleUseTokenStore.Redeemed> redeem(RedeemCommand command) {
        String token = Inputs.required("token", command.token(), Inputs.TOKEN);
        SingleUsePurpose purpose = required(command.purpose());
        String clientId = Inputs.required("client_id", command.clientId(), Inputs.ID);
        if (!looksLikeOne(token)) {
            metrics.singleUse("malformed");
            throw ServiceException.invalidGrant("single-use token is invalid");
        }
        byte[] hash = hasher.hash(token);
        return store.find(hash, clientId).chain(issued -> {
            Optional<ValidationFailure> revoked = issued.flatMap(t -> node.revocationOf(t.tokenId(), t.subject(), clientId, t.issuedAt()));
            if (revoked.isEmpty()) {
                return redeemLive(hash, purpose, clientId);
            }
            if (revoked.get() == ValidationFailure.REVOCATION_FEED_STALE) {
                return Uni.createFrom().failure(IssuerValidatingNode.feedStale());
            }
            metrics.singleUse("revoked");
            return Uni.createFrom().failure(ServiceException.invalidGrant(REVOKED));
        });
    }

    /** Whether this is a single-use token by its form (prefix and length), before any lookup. */
    public static boolean looksLikeOne(String token) {
        return OpaqueTokens.isWellFormed(OpaqueTokens.SINGLE_USE_PREFIX, token);
    }

    /**
     * Revokes the client's token (RFC 7009) if it is still redeemable: no redemption succeeds after this, and the TOKEN
     * rule queued on its public id tells the revocation service (and through it the audit trail). Another client's
     * token is as unknown as a made-up one, as it is to redemption, and is left as it is.
     */
    public Uni<Void> revoke(String token, String clientId, String reason) {
        return store.revoke(hasher.hash(token), clientId, reason, Clocks.now(clock)).invoke(revoked -> {
            if (revoked) {
                metrics.singleUse("revoked_by_client");
                revocations.announce();
            }
        }).replaceWithVoid();
    }

    private Uni<SingleUseTokenStore.Redeemed> redeemLive(byte[] hash, SingleUsePurpose purpose, String clientId) {
        Instant now = Clocks.now(clock);
        return store.redeem(hash, purpose.name(), clientId, now).chain(redeemed -> {
            if (redeemed.isPresent()) {
                metrics.singleUse("redeemed");
                return Uni.createFrom().item(redeemed.get());
            }
            return store.refused(hash, clientId, now).chain(found -> {
                String why = found.isEmpty() ? "unknown"
                        : found.get().redeemedAt() != null ? "replayed"
                        : found.get().revokedAt() != null ? "revoked"
                        : !Objects.equals(found.get().purpose(), purpose.name()) ? "wrong_purpose" : "expired";
                metrics.singleUse(why);
                return Uni.createFrom().failure(ServiceException.invalidGrant(switch (why) {
                    case "replayed" -> "single-use token was already redeemed";
                    case "revoked" -> REVOKED;
                    case "expired" -> "single-use token has expired";
                    default -> "single-use token is invalid";
                }));
            });
        });
    }

    private static SingleUsePurpose required(SingleUsePurpose purpose) {
        if (purpose == null) {
            throw ServiceException.invalidField("purpose", "is required");
        }
        return purpose;
    }
}
