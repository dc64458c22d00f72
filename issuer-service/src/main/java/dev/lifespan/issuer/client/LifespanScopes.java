package dev.lifespan.issuer.client;

import java.util.Set;

/**
 * The scopes of Lifespan's own APIs, which only operators' and Lifespan's own service clients hold. They are
 * real scopes a client can be given, but discovery does not advertise them: a relying party has no use for
 * them and they tell an attacker which powers exist.
 */
public final class LifespanScopes {
    public static final String TOKENS_ISSUE = "tokens:issue";
    public static final String SESSIONS_READ = "sessions:read";
    public static final String SESSIONS_WRITE = "sessions:write";
    public static final String KEYS_ROTATE = "keys:rotate";
    public static final String REVOCATION_WRITE = "revocation:write";
    public static final String AUDIT_READ = "audit:read";
    public static final String AUDIT_WRITE = "audit:write";

    /** Every one of them. */
    public static final Set<String> ADMINISTRATIVE = Set.of(TOKENS_ISSUE, SESSIONS_READ, SESSIONS_WRITE, KEYS_ROTATE, REVOCATION_WRITE,
            AUDIT_READ, AUDIT_WRITE);

    private LifespanScopes() {
    }
}
