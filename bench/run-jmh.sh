#!/usr/bin/env bash
# JMH SigningAlgorithmBenchmark on several JDKs, back to back, each after waiting for a quiet machine.
# Writes <jdk>.txt (JMH's report), <jdk>.json, and summary.tsv (with CPU used by other processes during each run,
# so a skewed run is visible) into $BENCH_OUT. See README.md.
set -euo pipefail

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
JAR="$ROOT/bench/target/benchmarks.jar"
JDKS="${JDKS:-/usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64}"
JMH_ARGS="${JMH_ARGS:--f 1 -wi 2 -w 2s -i 3 -r 3s}"
JMH_FILTER="${JMH_FILTER:-SigningAlgorithmBenchmark}"
WAIT_QUIET="${WAIT_QUIET:-600}"   # seconds to wait for other load (> 0.2 cores) to go away before each JDK
BENCH_OUT="${BENCH_OUT:-$ROOT/bench/results/jmh-$(date -u +%Y%m%dT%H%M%SZ)}"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
[ -f "$JAR" ] || (cd "$ROOT" && ./mvnw -B -q -f bench/pom.xml package -DskipTests)
mkdir -p "$BENCH_OUT"

# shellcheck source=quiet-machine.sh
. "$ROOT/bench/quiet-machine.sh"

{
  echo "cpus=$(nproc) model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) kernel=$(uname -r)"
  echo "jmh_args=$JMH_ARGS filter=$JMH_FILTER"
} >"$BENCH_OUT/env.txt"
printf 'jdk\tbenchmark\timplementation\tops_per_s\terror\tother_cpu_cores\n' >"$BENCH_OUT/summary.tsv"

CLK_TCK=$(getconf CLK_TCK)
for jdk in $JDKS; do
  name=$(basename "$jdk")
  "$jdk/bin/java" -version 2>&1 | head -2 | sed "s/^/$name: /" >>"$BENCH_OUT/env.txt"
  [ "$WAIT_QUIET" -gt 0 ] && wait_quiet
  log "JMH on $name: $JMH_ARGS"
  h0=$(host_busy); c0=$(awk '{print $16 + $17}' /proc/$$/stat); t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$jdk/bin/java" -jar "$JAR" "$JMH_FILTER" $JMH_ARGS -rf json -rff "$BENCH_OUT/$name.json" >"$BENCH_OUT/$name.txt" 2>&1
  h1=$(host_busy); c1=$(awk '{print $16 + $17}' /proc/$$/stat); t1=$(date +%s.%N)
  # CPU that neither JMH (a waited-for child, with its forks) nor interrupts explain: other processes were running
  other=$(awk -v a="$h0" -v b="$h1" -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v t0="$t0" -v t1="$t1" \
    'BEGIN { split(a, x, " "); split(b, y, " "); o = ((y[1] - x[1]) - c) / hz / (t1 - t0); if (o < 0) o = 0; printf "%.2f", o }')
  log "$name done; other processes used $other cores on average during the run"
  sed -n '/^Benchmark /,$p' "$BENCH_OUT/$name.txt" | grep -v '^Benchmark result'
  # columns: Benchmark [param ...] Mode Cnt Score ± Error Units; the parameters (none, one or more) become the
  # implementation column, joined with "/" ("-" when there are none)
  awk -v jdk="$name" -v other="$other" '/^[A-Za-z0-9]+Benchmark\./ {
      m = 0; for (i = 2; i <= NF; i++) if ($i == "thrpt") { m = i; break }
      if (!m) next
      impl = "-"; for (i = 2; i < m; i++) impl = (i == 2 ? $i : impl "/" $i)
      printf "%s\t%s\t%s\t%s\t%s\t%s\n", jdk, $1, impl, $(m + 2), $(m + 4), other }' "$BENCH_OUT/$name.txt" >>"$BENCH_OUT/summary.tsv"
done
echo
column -t -s $'\t' "$BENCH_OUT/summary.tsv"
log "results in $BENCH_OUT"
