-- Transactional outbox of audit events (REVOKED), written in the transaction that records the rule; a relay
-- ships them to the audit service, at least once and idempotent by event id. The same columns as every
-- Lifespan service's outbox (service-support AuditOutbox.COLUMNS).
CREATE TABLE audit_outbox (
    event_id    uuid PRIMARY KEY,
    type        text        NOT NULL,
    occurred_at timestamptz NOT NULL,
    subject     text,
    sid         text,
    client_id   text,
    token_id    text,
    source_ip   text,
    attributes  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    shipped_at  timestamptz
);
CREATE INDEX audit_outbox_unshipped ON audit_outbox (occurred_at) WHERE shipped_at IS NULL;
