package dev.lifespan.support.audit;

import dev.lifespan.support.auth.ServiceToken;

/**
 * A service's {@code audit:write} token for shipping its outbox, when the service makes its own (the issuer mints it
 * in-process). Without such a bean, {@link AuditOutboxRelay} obtains one with client credentials
 * ({@code lifespan.audit-outbox.client.*}).
 */
public interface AuditToken extends ServiceToken {
    /** The scope the audit service requires of {@code Record}. */
    String SCOPE = "audit:write";
}
