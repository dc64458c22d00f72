-- The id of every event written to a service's audit_outbox (dev.lifespan.support.audit.AuditOutbox): a UUID version 7
-- (RFC 9562), the database's clock in milliseconds in the first 48 bits and gen_random_uuid()'s random bits in the rest.
-- Ids written later sort later, so an insert adds to the right-hand end of the outbox's primary key (and of the audit
-- store's event_id index) instead of to a random page of it (bench/README.md 4.0u). PostgreSQL before 18 has no
-- uuidv7(). Setting bits 52 and 53 turns version 4 (0100) into 7 (0111); the variant bits stay as they are.
--
-- A function, not the expression written into each statement: declared at the cost of gen_random_uuid(), it leaves the
-- planner's estimates, and so its choice between a statement's generic and per-execution plans, as they were
-- (bench/README.md 4.0t: the expression inline tipped the refresh rotation onto per-execution plans). PL/pgSQL, because
-- a SQL function would be inlined as that same expression. Repeatable: each service that has an outbox runs it (Flyway
-- location db/audit-outbox), and it is replaced whenever it changes.
CREATE OR REPLACE FUNCTION lifespan_event_id() RETURNS uuid
    LANGUAGE plpgsql VOLATILE PARALLEL SAFE COST 1
AS $$
BEGIN
    RETURN encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid;
END
$$;
