#!/usr/bin/env bash
# audit_outbox insert cost on a prefilled table: random event ids (gen_random_uuid), time-ordered ones written inline
# (v7, the experiment of 4.0t) and through the function lifespan_event_id() as shipped (fn, 4.0u).
# VARIANTS (default "random v7") and PREFILL (rows, default 3000000) choose what runs.
# Run as root; uses user pgt and port 55432. ROOT is the repository.
set -euo pipefail
B=/usr/lib/postgresql/15/bin; D=/tmp/pgbench-event-ids; ROOT=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
id pgt >/dev/null 2>&1 || useradd -m pgt
PREFILL=${PREFILL:-3000000}
M="$ROOT/issuer-service/src/main/resources/db/migration"
V7="encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send((extract(epoch from clock_timestamp())*1000)::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid"
for variant in ${VARIANTS:-random v7}; do
  su pgt -c "$B/pg_ctl -D $D/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf $D && mkdir -p $D && chown pgt $D
  su pgt -c "$B/initdb -D $D/data -U postgres -A trust" >/dev/null
  su pgt -c "$B/pg_ctl -D $D/data -w -o '-p 55432 -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $D/log start" >/dev/null
  { sed -n '/^CREATE TABLE audit_outbox/,/^CREATE INDEX audit_outbox_unshipped/p' "$M/V1__issuer.sql"
    sed -n '/^ALTER TABLE audit_outbox/,/;$/p' "$M/V3__outbox_shipping.sql"
    grep '^CREATE INDEX audit_outbox' "$M/V3__outbox_shipping.sql"; } > $D/schema.sql
  $B/psql -h $D -p 55432 -U postgres -q -v ON_ERROR_STOP=1 -f $D/schema.sql
  $B/psql -h $D -p 55432 -U postgres -q -v ON_ERROR_STOP=1 -f "$ROOT/service-support/src/main/resources/db/audit-outbox/R__audit_event_id.sql"
  case $variant in random) ID="gen_random_uuid()";; v7) ID="$V7";; fn) ID="lifespan_event_id()";; esac
  $B/psql -h $D -p 55432 -U postgres -q -v ON_ERROR_STOP=1 -c "INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes) SELECT $ID, 'TOKEN_ISSUED', now(), 'demo-service', NULL, 'demo-service', md5(g::text), '127.0.0.1', NULL, jsonb_build_object('profile','service') FROM generate_series(1,$PREFILL) g" 
  $B/psql -h $D -p 55432 -U postgres -q -c "VACUUM ANALYZE audit_outbox" 
  n=5; j=""; for i in $(seq 1 $n); do j="$j${j:+,}md5(random()::text)"; done
  echo "INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes) SELECT $ID, 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, jsonb_build_object('profile', 'service') FROM (SELECT * FROM unnest(array_fill(now(), ARRAY[$n]), array_fill('demo-service'::text, ARRAY[$n]), ARRAY[$j], array_fill('127.0.0.1'::text, ARRAY[$n])) WITH ORDINALITY AS i(at_time, client, jti, source_ip, n) LIMIT $n) i;" > $D/rows.sql
  $B/psql -h $D -p 55432 -U postgres -At -c "select pg_size_pretty(pg_relation_size('audit_outbox_pkey')), pg_size_pretty(pg_relation_size('audit_outbox'))"
  for round in 1 2 3; do
    printf '%s round %s, %s rows/statement: ' $variant $round $n
    $B/pgbench -h $D -p 55432 -U postgres -n -c 1 -T ${SECONDS_PER_ROUND:-15} -M prepared -f $D/rows.sql postgres 2>&1 | awk '/latency average/{l=$4} /^tps/{t=$3} END{printf "%s ms per statement, %s statements/s\n", l, t}'
  done
  $B/psql -h $D -p 55432 -U postgres -At -c "select pg_size_pretty(pg_relation_size('audit_outbox_pkey'))"
done
su pgt -c "$B/pg_ctl -D $D/data -m fast stop" >/dev/null
