#!/usr/bin/env bash
# Runs Lifespan locally on embedded PostgreSQL and Redis: needs only a JDK (17+; 25 recommended).
# Builds what is missing, starts everything, prints the endpoints; Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f issuer-service/target/quarkus-app/quarkus-run.jar ] || [ ! -f revocation-service/target/quarkus-app/quarkus-run.jar ] || [ "${LIFESPAN_REBUILD:-0}" = 1 ]; then
  ./mvnw -B -q -DskipTests install
fi
./mvnw -B -q -pl devstack dependency:build-classpath -Dmdep.outputFile="$PWD/devstack/target/classpath.txt" >/dev/null
exec java -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" -Dlifespan.root="$PWD" dev.lifespan.devstack.LocalStack
