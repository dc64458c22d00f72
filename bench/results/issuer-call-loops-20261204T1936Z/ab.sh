#!/usr/bin/env bash
# usage: ab.sh OUTDIR MODES "label:jardir:channels ..."
cd /work/main
OUT=$1; MODES=$2; shift 2
for spec in $1; do
  IFS=: read label jar c <<<"$spec"
  d=$OUT/$label-c$c-$(date +%H%M%S)
  SKIP_BUILD=1 PRIME=8 ROUNDS=1 WARMUP=8 DURATION=15 GRPC_CHANNELS=$c MODES="$MODES" \
    ISSUER_JAR=/tmp/jars/$jar/quarkus-app/quarkus-run.jar BENCH_OUT=$d bench/run-issuer-bench.sh > /dev/null 2>&1
  echo "$label c$c $(date +%T) $(awk -F'\t' 'NR>1{printf "%s %s %s p50 %s; ", $1, $3, $11, $5}' $d/summary.tsv)"
done
