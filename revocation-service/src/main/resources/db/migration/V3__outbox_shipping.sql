-- Shipping the audit outbox: the reason of a VALIDATION_FAILED event, and a row the audit service refused set aside
-- with its answer (kept for an operator, never resent or pruned); shipped rows are pruned by shipped_at. The same
-- columns as every Lifespan service's outbox (service-support AuditOutboxRows).
ALTER TABLE audit_outbox ADD COLUMN failure text, ADD COLUMN refused text,
    -- Attributes are a JSON object of strings and scalars: a value bound as a JSON string instead fails its transaction here.
    ADD CONSTRAINT audit_outbox_attributes_object CHECK (jsonb_typeof(attributes) = 'object');
CREATE INDEX audit_outbox_shipped ON audit_outbox (shipped_at) WHERE shipped_at IS NOT NULL;
CREATE INDEX audit_outbox_refused ON audit_outbox (occurred_at) WHERE refused IS NOT NULL;
