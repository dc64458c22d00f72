#!/usr/bin/env bash
# usage: chan.sh OUTDIR "CHANNEL LIST"  (interleaved runs, cc modes)
cd /work/main
OUT=$1; shift
for c in $1; do
  SKIP_BUILD=1 PRIME=8 ROUNDS=1 WARMUP=8 DURATION=15 GRPC_CHANNELS=$c MODES="grpc-client-credentials http-client-credentials" \
    ISSUER_JAR=${JAR:-/tmp/jars/head/quarkus-app/quarkus-run.jar} ISSUER_OPTS="${IOPTS:-}" BENCH_OUT=$OUT/c$c-$(date +%H%M%S) bench/run-issuer-bench.sh > /dev/null 2>&1
  echo "c$c $(date +%T) $(awk -F'\t' 'NR>1{printf "%s %s %s; ", $1, $3, $11}' $(ls -td $OUT/c$c-* | head -1)/summary.tsv)"
done
