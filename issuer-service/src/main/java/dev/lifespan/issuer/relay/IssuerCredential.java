package dev.lifespan.issuer.relay;

import dev.lifespan.issuer.client.LifespanScopes;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.issuer.crypto.SecureTokens;
import dev.lifespan.issuer.token.AccessTokenClaims;
import dev.lifespan.issuer.token.AccessTokenMinter;
import dev.lifespan.support.time.Clocks;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/**
 * The issuer's own service token for the revocation service's write RPCs: subject and client
 * {@value #CLIENT_ID}, the callers' audience, scope {@value #SCOPE}, signed with the key that signs
 * now. Minted on demand and reused for a minute of its five, so a rotated or compromised key is
 * left behind quickly; {@link #discard()} after the service refused it.
 */
@Singleton
public class IssuerCredential {
    public static final String CLIENT_ID = "lifespan-issuer";
    public static final String SCOPE = LifespanScopes.REVOCATION_WRITE;
    static final Duration LIFETIME = Duration.ofMinutes(5);
    static final Duration REUSE = Duration.ofMinutes(1);

    private final AccessTokenMinter minter;
    private final InstantSource clock;
    private final String audience;
    private volatile Minted current;

    private record Minted(String token, Instant mintedAt) {
    }

    public IssuerCredential(AccessTokenMinter minter, InstantSource clock, LifespanConfig config) {
        this.minter = minter;
        this.clock = clock;
        this.audience = config.callerAuth().audience();
    }

    /** A current token; throws when no key can sign yet. */
    public String token() {
        Instant now = Clocks.now(clock);
        Minted minted = current;
        if (minted == null || !now.isBefore(minted.mintedAt().plus(REUSE)) || now.isBefore(minted.mintedAt())) {
            String token = minter.mint(new AccessTokenClaims(CLIENT_ID, List.of(audience), now, now.plus(LIFETIME),
                    SecureTokens.tokenId(), null, CLIENT_ID, List.of(SCOPE), null, null, List.of(), List.of())).token();
            minted = new Minted(token, now);
            current = minted;
        }
        return minted.token();
    }

    /** Forgets the current token, so the next call mints another. */
    public void discard() {
        current = null;
    }
}
