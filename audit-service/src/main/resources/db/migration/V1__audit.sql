-- The audit trail: every token event, hash-chained (see audit-verifier's EventHash and the README),
-- in native range partitions by recorded_at so retention drops whole partitions and never deletes rows.
--
-- recorded_at is the audit service's own append time and never decreases along the chain (an append
-- takes max(now, head's recorded_at)), so each partition holds one contiguous run of sequences and
-- dropping the oldest partitions cuts the chain only at its start.
--
-- Uniqueness on partitioned tables must include the partition key, so neither sequence nor event_id can
-- be declared unique here: appends are serialized by an advisory lock instead, which hands out gapless
-- sequences and checks event ids under it. A duplicate a person inserts by hand is what VerifyChain finds.
CREATE TABLE audit_event (
    sequence           bigint      NOT NULL,
    recorded_at        timestamptz NOT NULL,
    event_id           uuid        NOT NULL,
    type               text        NOT NULL,
    occurred_at        timestamptz NOT NULL,
    producer           text,
    subject            text,
    session_id         text,
    client_id          text,
    token_id           text,
    source_ip          text,
    validation_failure text,
    attributes         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    previous_hash      text        NOT NULL,
    hash               text        NOT NULL,
    PRIMARY KEY (sequence, recorded_at)
) PARTITION BY RANGE (recorded_at);

-- Idempotency look-ups (bounded by recorded_at, so only recent partitions are probed).
CREATE INDEX audit_event_event_id ON audit_event (event_id);
-- Queries: each filter walks its own index in sequence order, which is the order results come in.
CREATE INDEX audit_event_subject ON audit_event (subject, sequence) WHERE subject IS NOT NULL;
CREATE INDEX audit_event_session ON audit_event (session_id, sequence) WHERE session_id IS NOT NULL;
CREATE INDEX audit_event_client ON audit_event (client_id, sequence) WHERE client_id IS NOT NULL;
CREATE INDEX audit_event_type ON audit_event (type, sequence);
CREATE INDEX audit_event_occurred_at ON audit_event (occurred_at);

-- The partitions this service created, with their bounds, so retention needs no parsing of catalog
-- expressions. Rows are added when a partition is attached and removed once it is dropped.
CREATE TABLE audit_partition (
    name      text PRIMARY KEY,
    starts_at timestamptz NOT NULL UNIQUE,
    ends_at   timestamptz NOT NULL CHECK (ends_at > starts_at)
);

-- The latest appended event: where the next append links. Kept apart from the events so that deleting
-- the newest rows by hand leaves the head (and the next checkpoint) pointing past them.
CREATE TABLE audit_chain_head (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sequence    bigint  NOT NULL CHECK (sequence >= 0),
    hash        text    NOT NULL,
    recorded_at timestamptz
);
INSERT INTO audit_chain_head (singleton, sequence, hash, recorded_at)
VALUES (true, 0, '0000000000000000000000000000000000000000000000000000000000000000', NULL);

-- Signed checkpoints of the head. retention_edge marks the one at the last event of a dropped
-- partition: the chain that is kept starts from it.
CREATE TABLE audit_checkpoint (
    sequence       bigint PRIMARY KEY CHECK (sequence >= 1),
    hash           text        NOT NULL,
    signed_at      timestamptz NOT NULL,
    key_id         text        NOT NULL,
    signature      text        NOT NULL,
    retention_edge boolean     NOT NULL DEFAULT false
);
CREATE INDEX audit_checkpoint_edge ON audit_checkpoint (sequence) WHERE retention_edge;

-- Anomaly alerts. Ids are handed out under an advisory lock, so they commit in id order and a watcher
-- replaying "after id N" never misses one committed later with a smaller id.
CREATE TABLE audit_alert (
    alert_id          bigint PRIMARY KEY,
    rule              text        NOT NULL,
    severity          text        NOT NULL,
    raised_at         timestamptz NOT NULL,
    subject           text,
    session_id        text,
    client_id         text,
    source_ip         text,
    summary           text        NOT NULL,
    action_taken      text        NOT NULL DEFAULT '',
    trigger_event_id  uuid,
    observed          bigint      NOT NULL,
    threshold         bigint      NOT NULL,
    -- Webhook delivery: NONE (no webhook configured when raised), PENDING, DELIVERED or FAILED (gave up).
    webhook_state     text        NOT NULL DEFAULT 'NONE' CHECK (webhook_state IN ('NONE', 'PENDING', 'DELIVERED', 'FAILED')),
    webhook_attempts  int         NOT NULL DEFAULT 0,
    webhook_next_at   timestamptz
);
CREATE INDEX audit_alert_webhook_due ON audit_alert (webhook_next_at) WHERE webhook_state = 'PENDING';
CREATE INDEX audit_alert_raised_at ON audit_alert (raised_at);

-- The highest sequence whose events every anomaly rule has seen (the catch-up sweep's position).
CREATE TABLE audit_anomaly_cursor (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sequence  bigint  NOT NULL CHECK (sequence >= 0)
);
INSERT INTO audit_anomaly_cursor (singleton, sequence) VALUES (true, 0);
