-- Lifespan issuer schema. Raw refresh and single-use tokens are never stored: only their
-- HMAC-SHA256 under the server-side pepper.

CREATE TABLE signing_key (
    kid                text PRIMARY KEY,
    algorithm          text        NOT NULL,
    public_jwk         text        NOT NULL,
    private_key_sealed bytea       NOT NULL,   -- AES-256-GCM under a key derived from the master key, AAD = kid
    created_at         timestamptz NOT NULL,
    activates_at       timestamptz NOT NULL,   -- NEXT before this, ACTIVE from it
    retires_at         timestamptz,            -- stops signing (successor activates)
    expires_at         timestamptz,            -- leaves JWKS: retires_at + longest token lifetime + skew
    compromised_at     timestamptz,
    compromise_reason  text
);

CREATE TABLE session (
    sid                  text PRIMARY KEY,
    subject              text        NOT NULL,
    client_id            text        NOT NULL,
    profile              text        NOT NULL,
    device_id            text,
    scopes               text        NOT NULL,  -- space-separated, as in the scope claim
    audience             text        NOT NULL,  -- space-separated
    roles                text        NOT NULL,  -- space-separated
    acr                  text,
    amr                  text,                  -- space-separated
    auth_time            timestamptz,
    access_ttl_seconds   integer     NOT NULL,
    idle_timeout_seconds integer     NOT NULL,
    reuse_grace_seconds  integer     NOT NULL,
    created_at           timestamptz NOT NULL,
    last_activity_at     timestamptz NOT NULL,
    expires_at           timestamptz NOT NULL,  -- absolute end
    state                text        NOT NULL,  -- ACTIVE, REVOKED, IDLE_EXPIRED, EXPIRED
    ended_at             timestamptz,
    revoke_reason        text,
    CONSTRAINT session_state_known CHECK (state IN ('ACTIVE', 'REVOKED', 'IDLE_EXPIRED', 'EXPIRED'))
);
CREATE INDEX session_by_subject ON session (subject, created_at DESC);

-- One row per refresh token ever issued in a session (the token family).
CREATE TABLE refresh_token (
    token_hash  bytea PRIMARY KEY,
    sid         text        NOT NULL REFERENCES session (sid) ON DELETE CASCADE,
    client_id   text        NOT NULL,
    issued_at   timestamptz NOT NULL,
    rotated_at  timestamptz,           -- null while live; set when rotated or when the family is revoked
    parent_hash bytea                  -- the token it replaced
);
CREATE INDEX refresh_token_by_session ON refresh_token (sid);
-- Outside the grace window, a rotation has exactly one successor.
CREATE INDEX refresh_token_by_parent ON refresh_token (parent_hash);

CREATE TABLE single_use_token (
    token_hash  bytea PRIMARY KEY,
    token_id    text        NOT NULL UNIQUE,
    purpose     text        NOT NULL,
    subject     text        NOT NULL,
    client_id   text        NOT NULL,
    binding     bytea       NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    redeemed_at timestamptz
);
CREATE INDEX single_use_token_by_expiry ON single_use_token (expires_at);

-- Transactional outbox: audit events written in the same statement or transaction as the
-- change they describe; a relay ships them to the audit service (at-least-once, idempotent by id).
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
