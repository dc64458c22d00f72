#!/usr/bin/env bash
# Runs Lifespan locally on embedded PostgreSQL and Redis: needs only a JDK (17+; 25 recommended and preferred
# when installed). Builds what is missing, starts everything, prints the endpoints; Ctrl-C stops it all, and so
# does any service exiting on its own (its exit code and log are reported).
set -euo pipefail
cd "$(dirname "$0")"
if [ -z "${LIFESPAN_JAVA_HOME:-}" ]; then
  for candidate in /usr/lib/jvm/*25* /usr/lib/jvm/*-25-* "${JAVA_HOME:-}"; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
      LIFESPAN_JAVA_HOME="$candidate"
      break
    fi
  done
fi
if [ -n "${LIFESPAN_JAVA_HOME:-}" ]; then
  export LIFESPAN_JAVA_HOME
  JAVA="$LIFESPAN_JAVA_HOME/bin/java"
else
  JAVA=java
fi
echo "Services run on: $("$JAVA" -version 2>&1 | head -n1)"
if [ ! -f issuer-service/target/quarkus-app/quarkus-run.jar ] || [ ! -f revocation-service/target/quarkus-app/quarkus-run.jar ] || [ ! -f audit-service/target/quarkus-app/quarkus-run.jar ] || [ "${LIFESPAN_REBUILD:-0}" = 1 ]; then
  ./mvnw -B -q -DskipTests install
fi
./mvnw -B -q -pl devstack dependency:build-classpath -Dmdep.outputFile="$PWD/devstack/target/classpath.txt" >/dev/null
# JBoss LogManager (on the classpath through the Quarkus test support) must be set before anything logs, or it says so.
exec "$JAVA" -Djava.util.logging.manager=org.jboss.logmanager.LogManager -cp "devstack/target/classes:$(cat devstack/target/classpath.txt)" \
  -Dlifespan.root="$PWD" dev.lifespan.devstack.LocalStack
