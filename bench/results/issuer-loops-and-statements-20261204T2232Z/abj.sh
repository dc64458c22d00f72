#!/usr/bin/env bash
# usage: abj.sh OUTDIR MODES "label:jardir:jvmopt ..."  (jvmopt with commas for spaces)
cd /work/main
OUT=$1; MODES=$2; shift 2
for spec in $1; do
  IFS=: read label jar opt <<<"$spec"
  d=$OUT/$label-$(date +%H%M%S)
  SKIP_BUILD=1 PRIME=8 ROUNDS=1 WARMUP=8 DURATION=15 MODES="$MODES" ISSUER_JVM_OPTS="${opt//,/ }" \
    ISSUER_JAR=/tmp/jars/$jar/quarkus-app/quarkus-run.jar BENCH_OUT=$d bench/run-issuer-bench.sh > /dev/null 2>&1
  echo "$label $(date +%T) $(awk -F'\t' 'NR>1{printf "%s %s cpu %s host %s p50 %s; ", $1, $3, $11, $18, $5}' $d/summary.tsv)"
done
