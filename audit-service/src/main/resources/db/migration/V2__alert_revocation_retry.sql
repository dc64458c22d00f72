-- An alert's automatic revocation that the revocation service (or the issuer, for the audit service's token) could not
-- take when the alert was raised is retried from the alert row, as its webhook delivery is, so neither a longer outage
-- nor a restart drops it (dev.lifespan.audit.alert.RevocationRetries): NONE (nothing to retry), PENDING (due at
-- revocation_next_at), DONE (made on a later try) or FAILED (refused, or still unreachable when revocation.retry-for ran out).
ALTER TABLE audit_alert
    ADD COLUMN revocation_state    text NOT NULL DEFAULT 'NONE'
        CHECK (revocation_state IN ('NONE', 'PENDING', 'DONE', 'FAILED')),
    ADD COLUMN revocation_kind     text CHECK (revocation_kind IN ('SESSION', 'SUBJECT')),
    ADD COLUMN revocation_value    text,
    ADD COLUMN revocation_reason   text,
    ADD COLUMN revocation_tries int  NOT NULL DEFAULT 0,
    ADD COLUMN revocation_next_at  timestamptz,
    ADD CONSTRAINT audit_alert_revocation_pending CHECK (revocation_state <> 'PENDING'
        OR (revocation_kind IS NOT NULL AND revocation_value IS NOT NULL AND revocation_next_at IS NOT NULL));
CREATE INDEX audit_alert_revocation_due ON audit_alert (revocation_next_at) WHERE revocation_state = 'PENDING';
