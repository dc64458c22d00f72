#!/bin/bash
cd /work/main
SKIP_BUILD=1 PRIME=8 WARMUP=10 DURATION=22 ROUNDS=1 MODES="grpc-client-credentials http-client-credentials" \
  ISSUER_JVM_OPTS="-XX:+PreserveFramePointer" ISSUER_JAR=/tmp/jars/nofill/quarkus-app/quarkus-run.jar BENCH_OUT=/tmp/cg/out \
  bench/run-issuer-bench.sh > /tmp/cg/bench.log 2>&1 &
B=$!
for mode in grpc-client-credentials http-client-credentials; do
  until grep -q "\[$mode\] 10s warm-up" /tmp/cg/bench.log; do sleep 0.5; kill -0 $B || exit 1; done
  PID=$(pgrep -f "quarkus-run.jar" | head -1)
  sleep 12
  perf record -g -F 999 -p $PID -o /tmp/cg/$mode.perf.data -- sleep 12 > /tmp/cg/$mode.perf.log 2>&1
  /usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd $PID Compiler.perfmap >> /tmp/cg/$mode.perf.log 2>&1
  cp /tmp/perf-$PID.map /tmp/cg/perf-$PID.map
  echo "$mode pid $PID" >> /tmp/cg/pids
done
wait $B
echo DONE >> /tmp/cg/pids
