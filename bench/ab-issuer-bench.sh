#!/usr/bin/env bash
# Interleaved A/B runs of the issuer benchmark: one short run-issuer-bench.sh per spec, in the order given, and one
# summary line per run (per mode: ok/s, server CPU ms per token, host CPU ms per token, p90 ms, calls per group of the
# mode's group commit and the share of the window a group was out). This machine's speed drifts by a fifth within
# minutes, so compare builds or settings only interleaved (A B A B B A), never in blocks.
#
#   bench/ab-issuer-bench.sh OUT_DIR "MODES" "LABEL:BUILD[:SETTINGS] ..."
#
# BUILD is a directory holding a copy of issuer-service/target/quarkus-app (copy each build away before the next one);
# SETTINGS, comma-separated: JVM flags for the issuer (-XX:..., -Dkey=value) and run-issuer-bench.sh knobs for that
# run (LOADGEN_IO_THREADS=2, GRPC_CHANNELS=1, PG_DURABLE=1, ...). Each run's raw output is in
# OUT_DIR/LABEL-HHMMSS/, and the summary lines are printed and appended to OUT_DIR/summary.txt. PRIME, WARMUP and
# DURATION (seconds, default 8, 8, 15) are passed on.
#
#   cp -r issuer-service/target/quarkus-app /tmp/jars/b/   # after building B; A's copy in /tmp/jars/a/
#   bench/ab-issuer-bench.sh /tmp/ab "http-client-credentials grpc-client-credentials" "A:/tmp/jars/a B:/tmp/jars/b B:/tmp/jars/b A:/tmp/jars/a"
set -euo pipefail
[ $# -eq 3 ] || { sed -n '6,15p' "$0"; exit 2; }
OUT=$1; MODES=$2; SPECS=$3
ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
mkdir -p "$OUT"
for spec in $SPECS; do
  IFS=: read -r label build settings <<<"$spec"
  [ -f "$build/quarkus-app/quarkus-run.jar" ] || { echo "no $build/quarkus-app/quarkus-run.jar" >&2; exit 2; }
  jvm=(); knobs=()
  IFS=, read -r -a items <<<"$settings"
  for item in "${items[@]}"; do
    case "$item" in
      -*) jvm+=("$item") ;;
      [A-Z]*=*) knobs+=("$item") ;;
      *) echo "$label: setting '$item' is neither a JVM flag (-...) nor a knob (NAME=value)" >&2; exit 2 ;;
    esac
  done
  run="$OUT/$label-$(date +%H%M%S)"
  env SKIP_BUILD=1 ROUNDS=1 PRIME="${PRIME:-8}" WARMUP="${WARMUP:-8}" DURATION="${DURATION:-15}" MODES="$MODES" \
    ISSUER_JVM_OPTS="${jvm[*]}" ISSUER_JAR="$build/quarkus-app/quarkus-run.jar" BENCH_OUT="$run" "${knobs[@]}" \
    "$ROOT/bench/run-issuer-bench.sh" >"$run.log" 2>&1 || { echo "$label: run failed, see $run.log" >&2; exit 1; }
  line="$label $(date +%T) $(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; next }
    { printf "%s %s ok/s, server CPU %s ms, host CPU %s ms, p90 %s ms, %s calls per group, group out %s; ", $1, $(at["ok_per_s"]),
      $(at["server_cpu_ms_per_ok"]), $(at["host_cpu_ms_per_ok"]), $(at["p90_ms"]), $(at["calls_per_group"]), $(at["group_busy"]) }' "$run/summary.tsv")"
  echo "$line" | tee -a "$OUT/summary.txt"
done
