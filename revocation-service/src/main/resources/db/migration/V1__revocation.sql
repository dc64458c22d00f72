-- The revocation log: one row per rule, numbered by a gapless sequence that is assigned and
-- committed in order (writers serialize on an advisory lock and on revocation_sequence's row).
CREATE TABLE revocation_rule (
    sequence   bigint PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('TOKEN', 'SESSION', 'SUBJECT', 'CLIENT', 'KEY', 'GLOBAL')),
    -- jti, sid, sub, client_id or kid; '' for GLOBAL (so equality finds identical rules).
    value      text        NOT NULL CHECK (length(value) <= 255),
    -- SUBJECT, CLIENT and GLOBAL: tokens issued before this are revoked; NULL for the other kinds.
    not_before timestamptz,
    -- After this nothing the rule covers can still be valid; the row is then deleted.
    expires_at timestamptz NOT NULL,
    reason     text        NOT NULL DEFAULT '' CHECK (length(reason) <= 256),
    created_at timestamptz NOT NULL
);

CREATE INDEX revocation_rule_target ON revocation_rule (kind, value);
CREATE INDEX revocation_rule_expires_at ON revocation_rule (expires_at);

-- The latest sequence ever assigned. Kept apart from the rules so that deleting expired rules
-- (even all of them) never moves the sequence back.
CREATE TABLE revocation_sequence (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    latest    bigint  NOT NULL CHECK (latest >= 0)
);

INSERT INTO revocation_sequence (singleton, latest) VALUES (true, 0);
