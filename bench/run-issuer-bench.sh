#!/usr/bin/env bash
# Issuer throughput on this machine: embedded PostgreSQL + Redis (BenchStack) -> issuer-service (quarkus-run.jar)
# -> LoadGenerator in each mode, back to back -> (WITH_KEYCLOAK=1) the Keycloak peer harness right after, so both
# are measured in the same run. Everything is stopped by pid on exit, error or Ctrl-C. See bench/README.md.
set -euo pipefail

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
cd "$ROOT"

# ---- knobs -------------------------------------------------------------------------------------------------------
BENCH_JAVA_HOME="${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"   # JVM of the issuer (and of the tools)
ALG="${ALG:-}"                      # EdDSA | ES256 | RS256 | PS256; empty = the issuer's default
MODES="${MODES:-grpc-refresh http-refresh grpc-client-credentials http-client-credentials}"
CONCURRENCY="${CONCURRENCY:-16}"
WARMUP="${WARMUP:-10}"              # seconds per mode, discarded
DURATION="${DURATION:-20}"          # seconds per mode, measured
PRIME="${PRIME:-$WARMUP}"           # seconds per mode of an unmeasured first pass over all modes (0 = none)
ROUNDS="${ROUNDS:-1}"               # measured passes over all modes, interleaved; >1 adds medians per mode
PROFILE="${PROFILE:-0}"             # 1 = after the rounds, one more run per mode with a JFR CPU profile, as a flame graph
MACHINE_PROFILE="${MACHINE_PROFILE:-0}"  # 1 = then one more run per mode under `perf record -a`: the whole machine's CPU
                                         # per request by part (issuer's signature, Java, kernel; PostgreSQL; load generator)
MACHINE_PROFILE_HZ="${MACHINE_PROFILE_HZ:-499}"
ISSUER_HEAP="${ISSUER_HEAP:--Xms512m -Xmx512m}"
ISSUER_JVM_OPTS="${ISSUER_JVM_OPTS:-}"   # more JVM flags for the issuer, e.g. -XX:+UseParallelGC
ISSUER_OPTS="${ISSUER_OPTS:-}"           # more -Dkey=value settings for the issuer
# 16 callers from one address refresh each of their sessions hundreds of times a second: far above the issuer's
# default per-address/per-session limits, and one client's grants come near its per-client default (20,000/s).
# Raise them (rather than disable them) so the limiter counts every request, as in production (with leases, about
# one request in 101 per counter asks Redis: bench/README section 4.0j); RATE_LIMIT_OPTS="" keeps the shipped limits.
RATE_LIMIT_OPTS="${RATE_LIMIT_OPTS--Dlifespan.rate-limit.per-address=100000000 -Dlifespan.rate-limit.per-session=100000000 -Dlifespan.rate-limit.per-client=100000000}"
ISSUER_START_TIMEOUT="${ISSUER_START_TIMEOUT:-180}"
SEPARATE_GRPC_PORT="${SEPARATE_GRPC_PORT:-0}"  # 1 = gRPC on its own server and port instead of the HTTP port
GRPC_CHANNELS="${GRPC_CHANNELS:-2}"      # gRPC connections the load generator's callers share
LOADGEN_IO_THREADS="${LOADGEN_IO_THREADS:-1}"  # event-loop threads running the load generator's callers
GRPC_CLIENT="${GRPC_CLIENT:-frames}"     # the load generator's gRPC client: frames (Netty's HTTP/2 codec, as its HTTP
                                         # client uses Netty's HTTP/1.1 codec) | stub (grpc-java's channel and stubs)
SKIP_BUILD="${SKIP_BUILD:-0}"       # 1 = use the jars already built
PG_DURABLE="${PG_DURABLE:-0}"       # 1 = PostgreSQL with fsync, synchronous_commit and full_page_writes on (production)
WITH_KEYCLOAK="${WITH_KEYCLOAK:-0}" # 1 = run the Keycloak peer (refresh_rotating, client_credentials) afterwards
PG_STATEMENTS="${PG_STATEMENTS:-0}" # N > 0 = after each measured mode, PostgreSQL's N costliest statements and how often each was planned (pg_stat_statements)
BENCH_WAIT_QUIET="${BENCH_WAIT_QUIET:-0}"  # seconds to wait for other CPU load to go away before starting
BENCH_OUT="${BENCH_OUT:-$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)}"

JAVA="$BENCH_JAVA_HOME/bin/java"
BENCH_JAR="$ROOT/bench/target/benchmarks.jar"
ISSUER_JAR="${ISSUER_JAR:-$ROOT/issuer-service/target/quarkus-app/quarkus-run.jar}"
T0=$SECONDS
log() { printf '[%s +%ss] %s\n' "$(date +%H:%M:%S)" "$((SECONDS - T0))" "$*"; }
die() { log "ERROR: $*"; exit 1; }

# median_columns KEY COL... -- FILE...: per value of column KEY (first-seen order), the median of each named column
# over the rows of every FILE (tab-separated, each with a header row naming its columns).
median_columns() {
  local cols=()
  while [ "$1" != -- ]; do cols+=("$1"); shift; done; shift
  awk -F'\t' -v OFS='\t' -v want="${cols[*]}" '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    BEGIN { nw = split(want, w, " ") }
    FNR == 1 { for (i = 1; i <= NF; i++) at[$i] = i
               for (k = 1; k <= nw; k++) if (!(w[k] in at)) { print "no column " w[k] " in " FILENAME > "/dev/stderr"; exit 1 }
               next }
    { key = $(at[w[1]]); if (!(key in seen)) { seen[key] = 1; order[++keys] = key }
      for (k = 2; k <= nw; k++) vals[key, k] = vals[key, k] " " $(at[w[k]]) }
    END { line = w[1]; for (k = 2; k <= nw; k++) line = line OFS w[k]; print line
          for (i = 1; i <= keys; i++) { line = order[i]; for (k = 2; k <= nw; k++) line = line OFS median(vals[order[i], k]); print line } }
  ' "$@"
}
# versus_keycloak LIFESPAN_MEDIANS KEYCLOAK_MEDIANS: issue 12's ratios, per mode: throughput x Keycloak (target >= 10),
# Keycloak's CPU per token / Lifespan's (target >= 10), and per grant gRPC / HTTP throughput (>= 1) and CPU (<= 1).
versus_keycloak() {
  awk -F'\t' -v OFS='\t' '
    FNR == 1 { delete at; for (i = 1; i <= NF; i++) at[$i] = i; file++; next }
    file == 1 { m = $(at["mode"]); t = m; sub(/-.*/, "", t); g = m; sub(/^[^-]*-/, "", g)
                mode[++n] = m; tr[m] = t; grant[m] = g; ok[m] = $(at["ok_per_s"]); cpu[m] = $(at["server_cpu_ms_per_ok"])
                byg[g, t] = m }
    file == 2 { c = $(at["case"]); kok[c] = $(at["req_per_s"]); kcpu[c] = $(at["kc_cpu_ms_per_req"]) }
    END {
      kc["refresh"] = "refresh_rotating"; kc["client-credentials"] = "client_credentials"
      print "mode", "ok_per_s", "keycloak_ok_per_s", "throughput_x_keycloak", "server_cpu_ms_per_ok", "keycloak_cpu_ms_per_ok", \
            "keycloak_cpu_per_ours", "grpc_per_http_ok", "grpc_per_http_cpu"
      for (i = 1; i <= n; i++) {
        m = mode[i]; c = kc[grant[m]]
        x = (c in kok && ok[m] > 0) ? sprintf("%.1f", ok[m] / kok[c]) : "-"
        y = (c in kcpu && cpu[m] > 0) ? sprintf("%.1f", kcpu[c] / cpu[m]) : "-"
        hm = byg[grant[m], "http"]
        r = (tr[m] == "grpc" && hm != "" && ok[hm] > 0) ? sprintf("%.2f", ok[m] / ok[hm]) : "-"
        s = (tr[m] == "grpc" && hm != "" && cpu[hm] > 0) ? sprintf("%.2f", cpu[m] / cpu[hm]) : "-"
        print m, ok[m], (c in kok ? kok[c] : "-"), x, cpu[m], (c in kcpu ? kcpu[c] : "-"), y, r, s
      }
    }' "$1" "$2"
}

[ -x "$JAVA" ] || die "no java at $JAVA (set BENCH_JAVA_HOME)"
command -v curl >/dev/null || die "curl is missing (apt-get install -y curl)"
mkdir -p "$BENCH_OUT"

# ---- build -------------------------------------------------------------------------------------------------------
if [ "$SKIP_BUILD" != 1 ]; then
  log "building (./mvnw -B -q -DskipTests install)"
  ./mvnw -B -q -DskipTests install
  if ! grep -q '<module>bench</module>' pom.xml; then
    ./mvnw -B -q -f bench/pom.xml -DskipTests package
  fi
fi
[ -f "$BENCH_JAR" ] || die "missing $BENCH_JAR (build bench/)"
[ -f "$ISSUER_JAR" ] || die "missing $ISSUER_JAR (build issuer-service/)"

# ---- is the machine quiet? ----------------------------------------------------------------------------------------
host_busy_cores() { # seconds
  local a b
  a=$(awk '$1 == "cpu" {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat); sleep "$1"
  b=$(awk '$1 == "cpu" {print $2+$3+$4+$7+$8+$9, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
  awk -v a="$a" -v b="$b" -v n="$(nproc)" 'BEGIN { split(a, x, " "); split(b, y, " "); t = y[2] - x[2]; if (t <= 0) t = 1
                                                   printf "%.2f", n * (y[1] - x[1]) / t }'
}
busy_over() { awk -v b="$1" 'BEGIN { exit !(b > 0.2) }'; }
PRE_BUSY=$(host_busy_cores 3)
if [ "$BENCH_WAIT_QUIET" -gt 0 ] && busy_over "$PRE_BUSY"; then
  log "machine busy ($PRE_BUSY cores); waiting up to ${BENCH_WAIT_QUIET}s for quiet"
  t_quiet=$SECONDS; streak=0
  while [ $((SECONDS - t_quiet)) -lt "$BENCH_WAIT_QUIET" ]; do
    PRE_BUSY=$(host_busy_cores 10)
    if busy_over "$PRE_BUSY"; then streak=0; else streak=$((streak + 1)); fi
    [ "$streak" -ge 2 ] && break
  done
fi
log "machine busy before start: $PRE_BUSY of $(nproc) cores"
busy_over "$PRE_BUSY" && log "WARNING: something else is using the CPU; results will be skewed"

# ---- secrets of this run -------------------------------------------------------------------------------------------
rand_secret() { head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }   # 43 characters
sha256_hex() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
APP_SECRET=$(rand_secret)
SVC_SECRET=$(rand_secret)
MASTER_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '\n')

# ---- processes, stopped by pid ---------------------------------------------------------------------------------
STACK_PID=""; ISSUER_PID=""; LOADGEN_PID=""; STACK_FIFO=""
stop_pid() { # pid [seconds]: TERM, wait, then KILL
  local p=$1 n=$((${2:-30} * 2))
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 "$n"); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }; sleep 0.5; done
  log "pid $p ignored SIGTERM, sending SIGKILL"; kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
}
stop_all() {
  if [ -n "$LOADGEN_PID" ]; then stop_pid "$LOADGEN_PID" 10; LOADGEN_PID=""; fi
  if [ -n "$ISSUER_PID" ]; then log "stopping issuer pid $ISSUER_PID"; stop_pid "$ISSUER_PID" 30; ISSUER_PID=""; fi
  if [ -n "$STACK_PID" ]; then
    log "stopping PostgreSQL + Redis (BenchStack pid $STACK_PID)"
    exec 7>&-      # end of stdin stops BenchStack too, should this script be killed
    stop_pid "$STACK_PID" 30; STACK_PID=""
  fi
  [ -n "$STACK_FIFO" ] && rm -f "$STACK_FIFO"
  return 0
}
cleanup() {
  local rc=$?
  stop_all
  log "done (exit $rc), total ${SECONDS}s; results in $BENCH_OUT"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- PostgreSQL + Redis ----------------------------------------------------------------------------------------
STACK_DIR="$BENCH_OUT/stack"; mkdir -p "$STACK_DIR"
rm -f "$STACK_DIR/stack.env" "$STACK_DIR/jvm-args"   # a previous run's: its presence would read as "ready"
STACK_FIFO="$STACK_DIR/stdin"; rm -f "$STACK_FIFO"; mkfifo "$STACK_FIFO"
exec 7<>"$STACK_FIFO"   # held open by this shell only: BenchStack sees end of file when the shell goes away
log "starting embedded PostgreSQL + Redis"
STACK_FLAGS=(); [ "$PG_DURABLE" = 1 ] && STACK_FLAGS+=(--durable)
STACK_JVM=(); [ "$PG_STATEMENTS" -gt 0 ] && STACK_JVM+=(-Dlifespan.devstack.postgres.shared_preload_libraries=pg_stat_statements
  -Dlifespan.devstack.postgres.pg_stat_statements.track_planning=on)
"$JAVA" -Xmx128m "${STACK_JVM[@]}" -cp "$BENCH_JAR" dev.lifespan.bench.BenchStack --out "$STACK_DIR" "${STACK_FLAGS[@]}" \
  <"$STACK_FIFO" >"$STACK_DIR/bench-stack.log" 2>&1 7>&- &
STACK_PID=$!
for _ in $(seq 1 240); do
  [ -f "$STACK_DIR/stack.env" ] && break
  kill -0 "$STACK_PID" 2>/dev/null || { cat "$STACK_DIR/bench-stack.log"; die "BenchStack exited"; }
  sleep 0.5
done
[ -f "$STACK_DIR/stack.env" ] || die "PostgreSQL + Redis not up after 120 s"
# shellcheck disable=SC1091
. "$STACK_DIR/stack.env"
mapfile -t STACK_ARGS <"$STACK_DIR/jvm-args"
PORT="$FREE_PORT"
GRPC_PORT="$PORT"
[ "$SEPARATE_GRPC_PORT" = 1 ] && GRPC_PORT="$FREE_PORT_2"
MANAGEMENT_PORT="$FREE_PORT_3"   # health and metrics live on the management interface, never on the API port
log "PostgreSQL ($PG_DURABILITY) postmaster pid $POSTMASTER_PID, Redis pid $REDIS_PID, issuer HTTP port $PORT, gRPC port $GRPC_PORT, management port $MANAGEMENT_PORT"

# ---- issuer ------------------------------------------------------------------------------------------------------
ISSUER_ARGS=(
  "-Dquarkus.http.host=127.0.0.1" "-Dquarkus.http.port=$PORT"
  "-Dquarkus.management.host=127.0.0.1" "-Dquarkus.management.port=$MANAGEMENT_PORT"
  "-Dlifespan.clients.bench-app.secret-hash=sha256:$(sha256_hex "$APP_SECRET")"
  "-Dlifespan.clients.bench-app.grants=refresh_token"
  "-Dlifespan.clients.bench-app.profile=web"
  "-Dlifespan.clients.bench-app.scopes=openid,profile,api.read"
  "-Dlifespan.clients.bench-app.audiences=api"
  "-Dlifespan.clients.bench-svc.secret-hash=sha256:$(sha256_hex "$SVC_SECRET")"
  "-Dlifespan.clients.bench-svc.grants=client_credentials"
  "-Dlifespan.clients.bench-svc.scopes=api.read,tokens:issue"
  "-Dlifespan.clients.bench-svc.audiences=api,lifespan"   # lifespan: the issuer's caller-auth audience
)
if [ "$SEPARATE_GRPC_PORT" = 1 ]; then
  ISSUER_ARGS+=("-Dquarkus.grpc.server.use-separate-server=true" "-Dquarkus.grpc.server.host=127.0.0.1"
                "-Dquarkus.grpc.server.port=$GRPC_PORT")
else
  ISSUER_ARGS+=("-Dquarkus.grpc.server.use-separate-server=false")
fi
[ -n "$ALG" ] && ISSUER_ARGS+=("-Dlifespan.keys.algorithm=$ALG")
ISSUER_LOG="$BENCH_OUT/issuer.log"
log "starting issuer on $("$JAVA" -version 2>&1 | head -1)${ALG:+, signing with $ALG}; log: $ISSUER_LOG"
# shellcheck disable=SC2086
LIFESPAN_MASTER_KEY="$MASTER_KEY" "$JAVA" $ISSUER_HEAP $ISSUER_JVM_OPTS "${STACK_ARGS[@]}" "${ISSUER_ARGS[@]}" \
  $RATE_LIMIT_OPTS $ISSUER_OPTS -jar "$ISSUER_JAR" >"$ISSUER_LOG" 2>&1 7>&- &
ISSUER_PID=$!
t_start=$SECONDS
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MANAGEMENT_PORT/q/health/ready")" = 200 ]; do
  kill -0 "$ISSUER_PID" 2>/dev/null || { tail -40 "$ISSUER_LOG"; ISSUER_PID=""; die "issuer exited during startup"; }
  [ $((SECONDS - t_start)) -lt "$ISSUER_START_TIMEOUT" ] || { tail -40 "$ISSUER_LOG"; die "issuer not ready after ${ISSUER_START_TIMEOUT}s"; }
  sleep 0.5
done
STARTUP_S=$((SECONDS - t_start))
log "issuer ready after ${STARTUP_S}s (pid $ISSUER_PID)"
# a token of each kind, to record the header (alg, kid) and sizes
CC_JSON=$(curl -s -u "bench-svc:$SVC_SECRET" -d grant_type=client_credentials "http://127.0.0.1:$PORT/oauth2/token" || true)
AT_HEADER=$(printf '%s' "$CC_JSON" | sed -n 's/.*"access_token" *: *"\([^."]*\)\..*/\1/p' | tr '_-' '/+' \
  | awk '{ while (length($0) % 4) $0 = $0 "="; print }' | base64 -d 2>/dev/null || true)
log "service token header: ${AT_HEADER:-?}"

# ---- load ----------------------------------------------------------------------------------------------------------
CPU_PIDS="$ISSUER_PID"
[ "${POSTMASTER_PID:-0}" != 0 ] && CPU_PIDS="$CPU_PIDS,$POSTMASTER_PID"
[ "${REDIS_PID:-0}" != 0 ] && CPU_PIDS="$CPU_PIDS,$REDIS_PID"
SUMMARY="$BENCH_OUT/summary.tsv"; rm -f "$SUMMARY" "$BENCH_OUT/prime.tsv"
# run_mode MODE LABEL WARMUP_S DURATION_S TSV: one load generator run, its report in $BENCH_OUT/LABEL.txt
run_mode() {
  local mode=$1 label=$2 warmup=$3 duration=$4 tsv=$5 client secret rc
  case "$mode" in
    grpc-refresh|http-refresh) client=bench-app; secret=$APP_SECRET ;;
    grpc-client-credentials|http-client-credentials) client=bench-svc; secret=$SVC_SECRET ;;
    *) die "unknown mode $mode" ;;
  esac
  local statements=0
  if [ "$PG_STATEMENTS" -gt 0 ] && [ "$tsv" = "$SUMMARY" ]; then
    statements=1
    "$JAVA" -cp "$BENCH_JAR" dev.lifespan.bench.PgStatements --jvm-args "$STACK_DIR/jvm-args" reset 7>&- || die "pg_stat_statements reset failed"
  fi
  log "[$label] ${warmup}s warm-up, ${duration}s measured, $CONCURRENCY callers; CPU of pids $CPU_PIDS (+ descendants)"
  BENCH_CLIENT_SECRET="$secret" BENCH_ISSUE_CLIENT_SECRET="$SVC_SECRET" \
    "$JAVA" -Xmx256m -cp "$BENCH_JAR" dev.lifespan.bench.LoadGenerator \
      --target "127.0.0.1:$PORT" --grpc-target "127.0.0.1:$GRPC_PORT" --grpc-channels "$GRPC_CHANNELS" --io-threads "$LOADGEN_IO_THREADS" \
      --grpc-client "$GRPC_CLIENT" --mode "$mode" --concurrency "$CONCURRENCY" \
      --warmup "$warmup" --duration "$duration" --client-id "$client" \
      --issue-client-id bench-svc --subject-prefix "bench-$label-" \
      --cpu-pids "$CPU_PIDS" --group-metrics "http://127.0.0.1:$MANAGEMENT_PORT/q/metrics" --tsv-out "$tsv" >"$BENCH_OUT/$label.txt" 2>"$BENCH_OUT/$label.log" 7>&- &
  LOADGEN_PID=$!
  local profiling=0
  if [[ "$label" == profile-* ]] && [ "$duration" -gt 6 ]; then
    # Inside the measured window only: after the warm-up, ending before the load does. 1 ms sampling, not JFR's 20 ms.
    profiling=1
    ( sleep $((warmup + 2)) && "$BENCH_JAVA_HOME/bin/jcmd" "$ISSUER_PID" JFR.start name="$label" settings=profile \
        'jdk.ExecutionSample#period=1ms' duration=$((duration - 4))s filename="$BENCH_OUT/$label.jfr" >"$BENCH_OUT/$label.jcmd.log" 2>&1 ) 7>&- &
  fi
  local perf_pid="" perf_s=$((duration - 4))
  if [[ "$label" == machine-* ]] && [ "$perf_s" -gt 2 ]; then
    # Inside the measured window only, every process on every CPU; samples only (no call graphs), so its cost is small.
    ( sleep $((warmup + 2)) && perf record -a -F "$MACHINE_PROFILE_HZ" -o "$BENCH_OUT/$label.perf.data" -- sleep "$perf_s" \
        >"$BENCH_OUT/$label.perf.log" 2>&1 ) 7>&- &
    perf_pid=$!
  fi
  local loadgen=$LOADGEN_PID
  rc=0; wait "$LOADGEN_PID" || rc=$?
  LOADGEN_PID=""
  if [ -n "$perf_pid" ]; then
    if wait "$perf_pid" && "$BENCH_JAVA_HOME/bin/jcmd" "$ISSUER_PID" Compiler.perfmap >>"$BENCH_OUT/$label.perf.log" 2>&1; then
      # The JIT's symbols are in /tmp/perf-PID.map (written just now), where perf looks for them.
      perf script -i "$BENCH_OUT/$label.perf.data" -F comm,pid,ip,sym,dso 2>>"$BENCH_OUT/$label.perf.log" \
        | awk -v hz="$MACHINE_PROFILE_HZ" -v seconds="$perf_s" -v cpus="$(nproc)" -v top=30 \
            -v requests="$(awk -F'\t' -v s="$perf_s" 'END { printf "%d", $3 * s }' "$tsv")" \
            -v issuer="$ISSUER_PID" -v loadgen="$loadgen" -v redis="$REDIS_PID" \
            -v postgres="$POSTMASTER_PID $(pgrep -d ' ' -P "$POSTMASTER_PID")" -f "$ROOT/bench/machine-profile.awk" \
        >"$BENCH_OUT/$label.parts.tsv" || log "WARNING: no machine profile for $label (see $BENCH_OUT/$label.perf.log)"
      rm -f "/tmp/perf-$ISSUER_PID.map"
    else
      log "WARNING: perf record or jcmd Compiler.perfmap failed for $label (see $BENCH_OUT/$label.perf.log; root, or kernel.perf_event_paranoid <= 0?)"
    fi
  fi
  if [ "$statements" = 1 ]; then   # since the reset before this mode: its warm-up and measured seconds
    "$JAVA" -cp "$BENCH_JAR" dev.lifespan.bench.PgStatements --jvm-args "$STACK_DIR/jvm-args" top "$PG_STATEMENTS" \
      >"$BENCH_OUT/$label.pg-statements.txt" 2>&1 7>&- || log "WARNING: no pg_stat_statements for $label"
  fi
  if [ "$profiling" = 1 ]; then
    for _ in $(seq 1 40); do [ -s "$BENCH_OUT/$label.jfr" ] && break; sleep 0.5; done
    "$JAVA" -cp "$BENCH_JAR" dev.lifespan.bench.FlameGraph --jfr "$BENCH_OUT/$label.jfr" --out "$BENCH_OUT/flame-$mode" \
      --title "issuer, $mode, $CONCURRENCY callers" || log "WARNING: no flame graph for $label (see $BENCH_OUT/$label.jcmd.log)"
  fi
  [ "$tsv" = "$SUMMARY" ] && cat "$BENCH_OUT/$label.txt"
  [ "$rc" = 0 ] || { tail -5 "$BENCH_OUT/$label.log"; log "WARNING: $label exited with $rc"; }
  kill -0 "$ISSUER_PID" 2>/dev/null || { tail -40 "$ISSUER_LOG"; ISSUER_PID=""; die "issuer died during $label"; }
}
LOAD_T0=$SECONDS
# Priming: every mode once, unmeasured, so that no mode is measured on code the issuer's JIT has not compiled yet
# (the first mode of a run otherwise pays for it).
if [ "$PRIME" -gt 0 ]; then
  for mode in $MODES; do run_mode "$mode" "prime-$mode" "$PRIME" 1 "$BENCH_OUT/prime.tsv"; done
fi
for round in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    label=$mode; [ "$ROUNDS" -gt 1 ] && label="$mode-r$round"
    run_mode "$mode" "$label" "$WARMUP" "$DURATION" "$SUMMARY"
  done
done
# Profiles in runs of their own, so that the profiler's cost is in none of the figures above.
if [ "$PROFILE" = 1 ]; then
  for mode in $MODES; do run_mode "$mode" "profile-$mode" "$WARMUP" "$DURATION" "$BENCH_OUT/profile.tsv"; done
fi
if [ "$MACHINE_PROFILE" = 1 ]; then
  command -v perf >/dev/null || die "MACHINE_PROFILE=1 needs perf (Debian: linux-perf)"
  for mode in $MODES; do run_mode "$mode" "machine-$mode" "$WARMUP" "$DURATION" "$BENCH_OUT/machine.tsv"; done
fi
LOAD_S=$((SECONDS - LOAD_T0))

RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$ISSUER_PID/status" 2>/dev/null || echo 0)
HWM_KB=$(awk '/^VmHWM:/ {print $2}' "/proc/$ISSUER_PID/status" 2>/dev/null || echo 0)
{
  echo "git=$(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet 2>/dev/null || echo -dirty)"
  echo "jvm=$("$JAVA" -version 2>&1 | sed -n 2p)"
  echo "issuer_jvm_opts=$ISSUER_HEAP $ISSUER_JVM_OPTS"
  echo "issuer_opts=$RATE_LIMIT_OPTS $ISSUER_OPTS"
  echo "alg=${ALG:-issuer default}"
  echo "access_token_header=${AT_HEADER:-?}"
  echo "load=concurrency $CONCURRENCY grpc_channels $GRPC_CHANNELS io_threads $LOADGEN_IO_THREADS grpc_client $GRPC_CLIENT warmup ${WARMUP}s duration ${DURATION}s modes: $MODES"
  echo "grpc_port=$GRPC_PORT http_port=$PORT (separate gRPC server: $SEPARATE_GRPC_PORT)"
  echo "postgresql=$PG_DURABILITY"
  echo "cpus=$(nproc) model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo) host=$(uname -srm)"
  echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "host_busy_cores_before_start=$PRE_BUSY"
  echo "cpu_pids=$CPU_PIDS (issuer, postmaster, redis)"
  echo "startup_s=$STARTUP_S load_s=$LOAD_S"
  echo "issuer_rss_mib_end=$((RSS_KB / 1024)) issuer_rss_mib_peak=$((HWM_KB / 1024))"
} >"$BENCH_OUT/env.txt"
echo
echo "==== Lifespan issuer ($(nproc) CPUs shared by the load generator, the issuer, PostgreSQL and Redis) ===="
cat "$BENCH_OUT/env.txt"
echo
[ -f "$SUMMARY" ] && column -t -s $'\t' "$SUMMARY"
if [ "$ROUNDS" -gt 1 ] && [ -f "$SUMMARY" ]; then
  # The median of the rounds per mode: a noisy neighbour on a shared VM moves single runs by 10-20 %.
  echo
  echo "medians over $ROUNDS rounds ($BENCH_OUT/medians.tsv):"
  median_columns mode ok_per_s server_cpu_ms_per_ok loadgen_cpu_ms_per_ok host_cpu_ms_per_ok other_cpu_cores calls_per_group group_busy -- "$SUMMARY" \
    >"$BENCH_OUT/medians.tsv"
  column -t -s $'\t' "$BENCH_OUT/medians.tsv"
fi
awk -F'\t' 'NR > 1 && $16 > 0.2 { printf "WARNING: other processes used %s cores during %s: those figures are skewed\n", $16, $1 }' \
  "$SUMMARY" 2>/dev/null || true

# ---- Keycloak, right after, on the same machine ------------------------------------------------------------------
if [ "$WITH_KEYCLOAK" = 1 ]; then
  stop_all   # free the CPUs for Keycloak
  KC_RUN="$ROOT/../shared/peers/keycloak/run.sh"
  [ -x "$KC_RUN" ] || die "Keycloak harness not found at $KC_RUN"
  # Measured as the issuer is: ROUNDS times (each round a fresh start of the harness), the median per case.
  for round in $(seq 1 "$ROUNDS"); do
    KC_OUT="$BENCH_OUT/keycloak"; [ "$ROUNDS" -gt 1 ] && KC_OUT="$BENCH_OUT/keycloak/r$round"
    log "running the Keycloak peer harness, round $round of $ROUNDS (about 2 min)"
    BENCH_CASES="${KC_CASES:-refresh_rotating client_credentials}" BENCH_OUT="$KC_OUT" \
      BENCH_CONNECTIONS="$CONCURRENCY" BENCH_WARMUP="$WARMUP" BENCH_DURATION="$DURATION" \
      bash "$KC_RUN" 7>&-
  done
  OURS="$SUMMARY"; THEIRS="$BENCH_OUT/keycloak/summary.tsv"
  if [ "$ROUNDS" -gt 1 ]; then
    OURS="$BENCH_OUT/medians.tsv"; THEIRS="$BENCH_OUT/keycloak/medians.tsv"
    median_columns case req_per_s kc_cpu_ms_per_req other_cpu_cores -- "$BENCH_OUT"/keycloak/r*/summary.tsv >"$THEIRS"
  fi
  versus_keycloak "$OURS" "$THEIRS" >"$BENCH_OUT/versus-keycloak.tsv"
  echo
  echo "against Keycloak (issue 12's targets: x Keycloak >= 10, Keycloak's CPU per ours >= 10, gRPC per HTTP ok >= 1 and CPU <= 1;"
  echo "$BENCH_OUT/versus-keycloak.tsv):"
  column -t -s $'\t' "$BENCH_OUT/versus-keycloak.tsv"
fi
