#!/usr/bin/env bash
# PropagationBenchmark (revocation feed on N nodes vs raw Redis pub/sub) and RuleFootprint (heap per rule), each
# after waiting for a quiet machine, with the CPU other processes used during each run. Writes propagation.tsv,
# propagation.txt, footprint-<jdk>.txt and summary.txt into $BENCH_OUT. See README.md.
set -euo pipefail

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
JAR="$ROOT/bench/target/benchmarks.jar"
JAVA_HOME_BENCH="${BENCH_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
FOOTPRINT_JDKS="${FOOTPRINT_JDKS:-/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-17-openjdk-amd64}"
PROPAGATION_ARGS="${PROPAGATION_ARGS:---nodes 1,4,16,64 --rounds 2000 --warmup 500}"
WAIT_QUIET="${WAIT_QUIET:-600}"   # seconds to wait for other load (> 0.2 cores) to go away before each run
BENCH_OUT="${BENCH_OUT:-$ROOT/bench/results/propagation-$(date -u +%Y%m%dT%H%MZ)}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
[ -f "$JAR" ] || (cd "$ROOT" && ./mvnw -B -q -o -pl bench package -DskipTests)
mkdir -p "$BENCH_OUT"

# shellcheck source=quiet-machine.sh
. "$ROOT/bench/quiet-machine.sh"
CLK_TCK=$(getconf CLK_TCK)
# measured NAME OUTFILE COMMAND...: runs COMMAND, then logs the cores other processes used meanwhile (CPU that
# neither the command, with its reaped children such as Redis, nor interrupts explain)
measured() {
  local name=$1 out=$2 h0 h1 c0 c1 t0 t1 other; shift 2
  [ "$WAIT_QUIET" -gt 0 ] && wait_quiet
  log "$name: $*"
  h0=$(host_busy); c0=$(awk '{print $16 + $17}' /proc/$$/stat); t0=$(date +%s.%N)
  "$@" >"$out" 2>"$out.log"
  h1=$(host_busy); c1=$(awk '{print $16 + $17}' /proc/$$/stat); t1=$(date +%s.%N)
  other=$(awk -v a="$h0" -v b="$h1" -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
    'BEGIN { split(a, x, " "); split(b, y, " "); o = ((y[1] - x[1]) - c) / hz / (t1 - t0); if (o < 0) o = 0; printf "%.2f", o }')
  log "$name done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }') s; other processes used $other cores on average"
  printf '%s\tother_cpu_cores=%s\t%s\n' "$name" "$other" "$*" >>"$BENCH_OUT/summary.txt"
}

{
  echo "cpus=$(nproc) model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) kernel=$(uname -r)"
  echo "propagation_args=$PROPAGATION_ARGS java=$JAVA_HOME_BENCH"
} >"$BENCH_OUT/env.txt"

measured propagation "$BENCH_OUT/propagation.txt" \
  "$JAVA_HOME_BENCH/bin/java" -Xms512m -Xmx512m -cp "$JAR" dev.lifespan.bench.PropagationBenchmark $PROPAGATION_ARGS
grep -v '^#' "$BENCH_OUT/propagation.txt" >"$BENCH_OUT/propagation.tsv" || true
column -t -s $'\t' "$BENCH_OUT/propagation.tsv"

for jdk in $FOOTPRINT_JDKS; do
  name=$(basename "$jdk")
  measured "footprint-$name" "$BENCH_OUT/footprint-$name.txt" "$jdk/bin/java" -Xms1g -Xmx1g -cp "$JAR" dev.lifespan.bench.RuleFootprint
  cat "$BENCH_OUT/footprint-$name.txt"
done
cat "$BENCH_OUT/summary.txt"
log "results in $BENCH_OUT"
