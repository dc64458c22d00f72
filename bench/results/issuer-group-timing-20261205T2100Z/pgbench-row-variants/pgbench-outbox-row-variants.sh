#!/usr/bin/env bash
# PostgreSQL alone: the grants' TOKEN_ISSUED insert, 5 rows per statement, variants of what each row costs.
set -euo pipefail
B=/usr/lib/postgresql/15/bin; D=/tmp/pgx/db; ROOT=/work/main
id pgt >/dev/null 2>&1 || useradd -m pgt
M="$ROOT/issuer-service/src/main/resources/db/migration"
su pgt -c "$B/pg_ctl -D $D/data -m fast stop" >/dev/null 2>&1 || true
rm -rf $D && mkdir -p $D && chown pgt $D
su pgt -c "$B/initdb -D $D/data -U postgres -A trust" >/dev/null
su pgt -c "$B/pg_ctl -D $D/data -w -o '-p 55433 -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off' -l $D/log start" >/dev/null
P="$B/psql -h $D -p 55433 -U postgres -q -v ON_ERROR_STOP=1"
{ sed -n '/^CREATE TABLE audit_outbox/,/^CREATE INDEX audit_outbox_unshipped/p' "$M/V1__issuer.sql"
  sed -n '/^ALTER TABLE audit_outbox/,/;$/p' "$M/V3__outbox_shipping.sql"
  grep '^CREATE INDEX audit_outbox' "$M/V3__outbox_shipping.sql"; } > $D/schema.sql
$P -f $D/schema.sql
$P -f "$ROOT/service-support/src/main/resources/db/audit-outbox/R__audit_event_id.sql"
n=5
j=""; u=""; for i in $(seq 1 $n); do j="$j${j:+,}md5(random()::text)"; u="$u${u:+,}gen_random_uuid()"; done
FROM="FROM (SELECT * FROM unnest(array_fill(now(), ARRAY[$n]), array_fill('demo-service'::text, ARRAY[$n]), ARRAY[$j], array_fill('127.0.0.1'::text, ARRAY[$n])) WITH ORDINALITY AS i(at_time, client, jti, source_ip, n) LIMIT $n) i"
FROMU="FROM (SELECT * FROM unnest(ARRAY[$u], array_fill(now(), ARRAY[$n]), array_fill('demo-service'::text, ARRAY[$n]), ARRAY[$j], array_fill('127.0.0.1'::text, ARRAY[$n])) WITH ORDINALITY AS i(id, at_time, client, jti, source_ip, n) LIMIT $n) i"
COLS="INSERT INTO audit_outbox (event_id, type, occurred_at, subject, sid, client_id, token_id, source_ip, failure, attributes)"
echo "$COLS SELECT lifespan_event_id(), 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, jsonb_build_object('profile', 'service') $FROM;" > shipped.sql
echo "$COLS SELECT lifespan_event_id(), 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, '{\"profile\": \"service\"}'::jsonb $FROM;" > constattr.sql
echo "$COLS SELECT id, 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, jsonb_build_object('profile', 'service') $FROMU;" > givenid.sql
echo "$COLS SELECT gen_random_uuid(), 'TOKEN_ISSUED', at_time, client, NULL, client, jti, source_ip, NULL, jsonb_build_object('profile', 'service') $FROM;" > randomid.sql
echo "SELECT count(*) $FROM;" > selectonly.sql
for round in 1 2 3; do
  for v in ${VARIANTS:-shipped constattr givenid randomid selectonly noindex}; do
    f=$v.sql
    if [ $v = noindex ]; then $P -c "DROP INDEX IF EXISTS audit_outbox_unshipped"; f=shipped.sql; fi
    $P -c "TRUNCATE audit_outbox"
    printf '%s round %s: ' $v $round
    $B/pgbench -h $D -p 55433 -U postgres -n -c 1 -T ${SECS:-10} -M prepared -f $f postgres 2>&1 | awk '/latency average/{l=$4} /^tps/{t=$3} END{printf "%s ms per statement, %s statements/s\n", l, t}'
    if [ $v = noindex ]; then $P -c "CREATE INDEX audit_outbox_unshipped ON audit_outbox (occurred_at) WHERE shipped_at IS NULL"; fi
  done
done
su pgt -c "$B/pg_ctl -D $D/data -m fast stop" >/dev/null
