-- Revocations the issuer decided (ended sessions, refresh-token reuse, compromised keys, RFC 7009)
-- waiting to be delivered to the revocation service. Written in the same statement or transaction
-- as the change that caused them, delivered at least once by RevocationRelay (the service treats an
-- identical live rule as the same rule), so a revocation survives the revocation service being down.
CREATE TABLE pending_revocation (
    id           bigserial PRIMARY KEY,
    kind         text        NOT NULL,  -- TOKEN, SESSION, KEY (lifespan.v1.RuleKind without prefix)
    value        text        NOT NULL,
    reason       text,
    expires_at   timestamptz,           -- null: the revocation service's default for the kind
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz
);
CREATE INDEX pending_revocation_undelivered ON pending_revocation (id) WHERE delivered_at IS NULL;
