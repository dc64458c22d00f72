#!/usr/bin/env bash
# PostgreSQL's own cost of the grouped TOKEN_ISSUED insert (ServiceTokens.ISSUED), by rows per statement: pgbench, one
# client, prepared, against a throwaway cluster with the benchmark's settings (fsync, full_page_writes and
# synchronous_commit off) and the audit_outbox table as migrations V1 and V3 leave it. The arrays are built in SQL
# (md5(random()) as the token id), the rest of the statement is the issuer's. Run as root; uses user pgt and port 55432.
set -euo pipefail
B=${PG_BIN:-/usr/lib/postgresql/15/bin}; D=/tmp/pgbench-outbox; HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
id pgt >/dev/null 2>&1 || useradd -m pgt
rm -rf $D && mkdir -p $D && chown pgt $D
su pgt -c "$B/initdb -D $D/data -U postgres -A trust" >/dev/null
su pgt -c "$B/pg_ctl -D $D/data -w -o '-p 55432 -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $D/log start" >/dev/null
trap 'su pgt -c "$B/pg_ctl -D $D/data -m fast stop" >/dev/null' EXIT
M="$ROOT/issuer-service/src/main/resources/db/migration"
{ sed -n '/^CREATE TABLE audit_outbox/,/^CREATE INDEX audit_outbox_unshipped/p' "$M/V1__issuer.sql"
  sed -n '/^ALTER TABLE audit_outbox/,/;$/p' "$M/V3__outbox_shipping.sql"
  grep '^CREATE INDEX audit_outbox' "$M/V3__outbox_shipping.sql"; } > $D/schema.sql
$B/psql -h $D -p 55432 -U postgres -q -v ON_ERROR_STOP=1 -f $D/schema.sql
statement() { # rows
  local n=$1 j=""; for i in $(seq 1 "$n"); do j="$j${j:+,}md5(random()::text)"; done
  echo "INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes) SELECT gen_random_uuid(), 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, jsonb_build_object('profile', 'service') FROM (SELECT * FROM unnest(array_fill(now(), ARRAY[$n]), array_fill('demo-service'::text, ARRAY[$n]), ARRAY[$j], array_fill('127.0.0.1'::text, ARRAY[$n])) WITH ORDINALITY AS i(at_time, client, jti, source_ip, n) LIMIT $n) i;" > $D/rows-$n.sql; }
for n in 1 5 20; do statement $n; done
$B/psql -h $D -p 55432 -U postgres -c '\d audit_outbox' | grep -E 'btree|CHECK'
for round in 1 2 3; do
  for n in 1 5 20; do
    printf 'round %s, %2s rows per statement: ' "$round" "$n"
    $B/pgbench -h $D -p 55432 -U postgres -n -c 1 -T 10 -M prepared -f $D/rows-$n.sql postgres 2>&1 | awk '/latency average/{l=$4} /^tps/{t=$3} END{printf "%s ms per statement, %s statements/s\n", l, t}'
  done
done
