package dev.lifespan.issuer.relay;

import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.support.audit.AuditToken;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.support.time.Clocks;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The issuer's own service tokens for the other services' write RPCs, one per scope (revocation:write for the
 * revocation relay, audit:write for the audit outbox): subject and client {@value #CLIENT_ID}, the callers' audience,
 * signed with the key that signs now. Minted in-process on demand and reused for a minute of their five, so a rotated
 * or compromised key is left behind quickly; {@link ServiceToken#discard()} after the callee refused one.
 */
@Singleton
public class IssuerCredential {
    public static final String CLIENT_ID = "lifespan-issuer";
    static final Duration LIFETIME = Duration.ofMinutes(5);
    static final Duration REUSE = Duration.ofMinutes(1);

    private final AccessTokenMinter minter;
    private final InstantSource clock;
    private final String audience;
    private final ConcurrentMap<String, Minted> current = new ConcurrentHashMap<>();

    private record Minted(String token, Instant mintedAt) {
    }

    public IssuerCredential(AccessTokenMinter minter, InstantSource clock, LifespanConfig config) {
        this.minter = minter;
        this.clock = clock;
        this.audience = config.callerAuth().audience();
    }

    /** The issuer's token for {@code scope}. */
    public ServiceToken forScope(String scope) {
        return new ServiceToken() {
            @Override
            public Uni<String> token() {
                return Uni.createFrom().item(() -> mint(scope));
            }

            @Override
            public void discard() {
                current.remove(scope);
            }
        };
    }

    /** What the audit outbox relay ships with. */
    @Produces
    @Singleton
    AuditToken auditToken() {
        ServiceToken token = forScope(AuditToken.SCOPE);
        return new AuditToken() {
            @Override
            public Uni<String> token() {
                return token.token();
            }

            @Override
            public void discard() {
                token.discard();
            }
        };
    }

    /** A current token for the scope; throws when no key can sign yet. */
    String mint(String scope) {
        Instant now = Clocks.now(clock);
        Minted minted = current.get(scope);
        if (minted == null || !now.isBefore(minted.mintedAt().plus(REUSE)) || now.isBefore(minted.mintedAt())) {
            String token = minter.mint(new AccessTokenClaims(CLIENT_ID, List.of(audience), now, now.plus(LIFETIME), SecureTokens.tokenId(),
                    null, CLIENT_ID, List.of(scope), null, null, List.of(), List.of())).token();
            minted = new Minted(token, now);
            current.put(scope, minted);
        }
        return minted.token();
    }
}
