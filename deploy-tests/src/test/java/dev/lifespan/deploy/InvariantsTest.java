package dev.lifespan.deploy;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import static dev.lifespan.deploy.Fixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;

/** Each invariant holds for a small correct application and catches one deliberate mistake at a time. */
class InvariantsTest {

    static final String APP = Fixtures.smallApp();

    static List<String> check(Function<Manifests, List<String>> invariant, String yaml) {
        return invariant.apply(Manifests.parse(yaml));
    }

    static List<String> brokenBy(Function<Manifests, List<String>> invariant, String from, String to) {
        return check(invariant, replaceOnce(APP, from, to));
    }

    @Test
    void theSmallApplicationSatisfiesEveryInvariant() {
        assertThat(Invariants.all(Manifests.parse(APP), ExternalReferences.NONE)).isEmpty();
    }

    @Nested
    class ContainersHardened {
        final Function<Manifests, List<String>> check = Invariants::containersHardened;

        @Test
        void aContainerWithoutReadinessProbeIsReported() {
            String yaml = replaceOnce(APP, """
                              readinessProbe:
                                httpGet:
                                  path: /q/health/ready
                                  port: management
                    """, "");
            assertThat(check(check, yaml)).singleElement().asString().contains("container app has no readinessProbe");
        }

        @Test
        void aContainerWithoutStartupProbeIsReported() {
            String yaml = replaceOnce(APP, """
                              startupProbe:
                                httpGet:
                                  path: /q/health/started
                                  port: management
                    """, "");
            assertThat(check(check, yaml)).singleElement().asString().contains("has no startupProbe");
        }

        @Test
        void aContainerWithoutMemoryLimitIsReported() {
            assertThat(brokenBy(check, "cpu: \"1\"\n              memory: 256Mi", "cpu: \"1\""))
                    .singleElement().asString().contains("has no memory limit");
        }

        @Test
        void aContainerWithoutCpuRequestIsReported() {
            assertThat(brokenBy(check, "cpu: 100m\n", "")).singleElement().asString().contains("has no cpu request");
        }

        @Test
        void privilegeEscalationIsReported() {
            assertThat(brokenBy(check, "allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true"))
                    .singleElement().asString().contains("allowPrivilegeEscalation");
        }

        @Test
        void aWritableRootFilesystemIsReported() {
            assertThat(brokenBy(check, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"))
                    .singleElement().asString().contains("readOnlyRootFilesystem");
        }

        @Test
        void capabilitiesNotAllDroppedAreReported() {
            assertThat(brokenBy(check, "drop: [ALL]", "drop: [NET_RAW]")).singleElement().asString().contains("does not drop ALL");
        }

        @Test
        void aContainerAllowedToRunAsRootIsReported() {
            assertThat(brokenBy(check, "            runAsNonRoot: true\n            capabilities", "            runAsNonRoot: false\n            capabilities"))
                    .singleElement().asString().contains("non-root");
        }

        @Test
        void anUnconfinedSeccompProfileIsReported() {
            assertThat(brokenBy(check, "              type: RuntimeDefault\n          volumeMounts", "              type: Unconfined\n          volumeMounts"))
                    .singleElement().asString().contains("RuntimeDefault seccomp");
        }

        @Test
        void aReadOnlyContainerWithoutEmptyDirAtTmpIsReported() {
            assertThat(brokenBy(check, "          emptyDir: {}", "          configMap:\n            name: app-settings"))
                    .singleElement().asString().contains("no emptyDir mounted at /tmp");
        }
    }

    @Nested
    class ServiceAccounts {
        final Function<Manifests, List<String>> check = Invariants::serviceAccounts;

        @Test
        void anAccountThatMountsItsTokenIsReported() {
            assertThat(brokenBy(check, "  name: app\nautomountServiceAccountToken: false", "  name: app\nautomountServiceAccountToken: true"))
                    .singleElement().asString().contains("ServiceAccount app");
        }

        @Test
        void podsThatMountATokenAreReported() {
            assertThat(brokenBy(check, "      automountServiceAccountToken: false\n", "")).singleElement().asString()
                    .contains("automountServiceAccountToken");
        }

        @Test
        void anAccountTheOverlayLacksIsReported() {
            assertThat(brokenBy(check, "serviceAccountName: app", "serviceAccountName: ghost")).singleElement().asString()
                    .contains("ServiceAccount ghost");
        }
    }

    @Nested
    class Selectors {
        final Function<Manifests, List<String>> check = Invariants::selectorsMatchWorkloads;

        @Test
        void aPodDisruptionBudgetSelectingNothingIsReported() {
            assertThat(brokenBy(check, "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app",
                    "  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: api"))
                    .singleElement().asString().contains("PodDisruptionBudget app selects no");
        }

        @Test
        void aServiceSelectingNothingIsReported() {
            assertThat(brokenBy(check, "  selector:\n    app.kubernetes.io/name: app", "  selector:\n    app.kubernetes.io/name: ap"))
                    .anySatisfy(v -> assertThat(v).contains("Service app selects no"));
        }

        @Test
        void anAutoscalerTargetingAMissingWorkloadIsReported() {
            assertThat(brokenBy(check, "    kind: Deployment\n    name: app", "    kind: Deployment\n    name: app-v2"))
                    .singleElement().asString().contains("HorizontalPodAutoscaler app targets apps/v1 Deployment app-v2");
        }

        @Test
        void aNetworkPolicyApplyingToNoPodsIsReported() {
            assertThat(brokenBy(check, "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: app\n  policyTypes",
                    "  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: ap\n  policyTypes"))
                    .singleElement().asString().contains("NetworkPolicy app applies to no");
        }

        @Test
        void aNetworkPolicyPeerNoWorkloadRunsIsReported() {
            assertThat(brokenBy(check, "    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: app",
                    "    - from:\n        - podSelector:\n            matchLabels:\n              app.kubernetes.io/name: client"))
                    .singleElement().asString().contains("peer pods {app.kubernetes.io/name=client}");
        }

        @Test
        void aTopologySpreadConstraintOverOtherPodsIsReported() {
            assertThat(brokenBy(check, "          labelSelector:\n            matchLabels:\n              app.kubernetes.io/name: app",
                    "          labelSelector:\n            matchLabels:\n              app.kubernetes.io/name: other"))
                    .singleElement().asString().contains("topology spread constraint");
        }

        @Test
        void aWorkloadWhoseSelectorMissesItsTemplateIsReported() {
            assertThat(brokenBy(check, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: app\n  template",
                    "  selector:\n    matchLabels:\n      app.kubernetes.io/name: app\n      tier: web\n  template"))
                    .anySatisfy(v -> assertThat(v).contains("Deployment app's selector does not match"));
        }

        @Test
        void aServiceMonitorSelectingNoServiceIsReported() {
            assertThat(brokenBy(check, "      app.kubernetes.io/name: app\n  endpoints", "      app.kubernetes.io/name: ap\n  endpoints"))
                    .singleElement().asString().contains("ServiceMonitor app selects no Service");
        }
    }

    @Nested
    class Ports {
        final Function<Manifests, List<String>> check = Invariants::portsAreContainerPorts;

        @Test
        void aServiceTargetingAPortNoContainerOpensIsReported() {
            assertThat(brokenBy(check, "targetPort: api", "targetPort: http")).singleElement().asString()
                    .contains("Service app port api targets port http");
        }

        @Test
        void aNumericTargetPortIsResolvedByNumber() {
            assertThat(brokenBy(check, "targetPort: api", "targetPort: 8080")).isEmpty();
            assertThat(brokenBy(check, "targetPort: api", "targetPort: 8081")).singleElement().asString().contains("port 8081");
        }

        @Test
        void aNetworkPolicyIngressPortNoContainerOpensIsReported() {
            assertThat(brokenBy(check, "        - port: api", "        - port: grpc")).singleElement().asString()
                    .contains("NetworkPolicy app lets traffic in on port grpc");
        }

        @Test
        void aNetworkPolicyEgressPortThePeerDoesNotOpenIsReported() {
            assertThat(brokenBy(check, "        - port: 8080", "        - port: 8443")).singleElement().asString()
                    .contains("lets traffic out to port 8443");
        }

        @Test
        void aProbeOnAPortTheContainerDoesNotOpenIsReported() {
            assertThat(brokenBy(check, "path: /q/health/ready\n              port: management", "path: /q/health/ready\n              port: health"))
                    .singleElement().asString().contains("probes port health");
        }

        @Test
        void aServiceMonitorScrapingAPortTheServiceLacksIsReported() {
            assertThat(brokenBy(check, "    - port: api\n      path: /q/metrics", "    - port: metrics\n      path: /q/metrics"))
                    .singleElement().asString().contains("scrapes port metrics");
        }
    }

    @Nested
    class Keys {
        final Function<Manifests, List<String>> check = m -> Invariants.referencedKeysExist(m, ExternalReferences.NONE);

        @Test
        void aMissingConfigMapKeyIsReported() {
            assertThat(brokenBy(check, "                  key: url", "                  key: uri")).singleElement().asString()
                    .contains("reads key uri of ConfigMap app-settings, which has only [url]");
        }

        @Test
        void aMissingSecretIsReported() {
            assertThat(brokenBy(check, "name: app-secret\n                  key: password", "name: db\n                  key: password"))
                    .singleElement().asString().contains("reads key password of Secret db, which the overlay does not contain");
        }

        @Test
        void aMissingVolumeItemIsReported() {
            assertThat(brokenBy(check, "              - key: url\n                path: url", "              - key: app.properties\n                path: url"))
                    .singleElement().asString().contains("volume config reads key app.properties");
        }

        @Test
        void aMissingEnvFromSourceIsReported() {
            String yaml = replaceOnce(APP, "          env:\n", "          envFrom:\n            - secretRef:\n                name: runtime\n          env:\n");
            assertThat(check(check, yaml)).singleElement().asString().contains("envFrom reads Secret runtime");
        }

        @Test
        void anOptionalReferenceNeedNotExist() {
            String yaml = replaceOnce(APP, "          env:\n", "          envFrom:\n            - secretRef:\n                name: runtime\n                optional: true\n          env:\n");
            assertThat(check(check, yaml)).isEmpty();
        }

        @Test
        void aSecretOutsideTheOverlayPassesOnlyWhenTheReadmeDocumentsIt(@TempDir Path dir) throws IOException {
            String yaml = replaceOnce(APP, "name: app-secret\n                  key: password", "name: db\n                  key: password");
            Path readme = Files.writeString(dir.resolve("README.md"), "| `db` | `username` | the user |\nThe `db` Secret's `password`.\n");
            assertThat(Invariants.referencedKeysExist(Manifests.parse(yaml), ExternalReferences.documentedIn(readme)))
                    .singleElement().asString().contains("not documented in README.md");
            // Prose that names both does not count: only a row of the Secrets table does.
            Files.writeString(readme, "| `db` | `password` | the password |\n");
            assertThat(Invariants.referencedKeysExist(Manifests.parse(yaml), ExternalReferences.documentedIn(readme))).isEmpty();
        }

        @Test
        void aCertManagerCertificateProvidesItsSecretsKeys() {
            String certificate = """
                    ---
                    apiVersion: cert-manager.io/v1
                    kind: Certificate
                    metadata:
                      name: app-tls
                    spec:
                      secretName: app-tls
                      dnsNames: [app]
                      issuerRef:
                        name: ca
                    """;
            String mount = "          volumeMounts:\n            - name: tls\n              mountPath: /tls\n";
            String volume = "      volumes:\n        - name: tls\n          secret:\n            secretName: app-tls\n"
                    + "            items:\n              - key: tls.crt\n                path: tls.crt\n";
            String yaml = replaceOnce(replaceOnce(APP, "          volumeMounts:\n", mount), "      volumes:\n", volume) + certificate;
            assertThat(check(check, yaml)).isEmpty();
            assertThat(check(check, yaml.replace("key: tls.crt", "key: tls.pem"))).singleElement().asString().contains("tls.pem");
        }
    }

    @Nested
    class Databases {
        final Function<Manifests, List<String>> check = Invariants::databasesOfTheirOwn;
        final String two = Fixtures.resource("/fixtures/databases.yaml");

        List<String> brokenBy(String from, String to) {
            return check(check, replaceOnce(two, from, to));
        }

        @Test
        void twoServicesWithADatabaseEachThatTheServerMakesPass() {
            assertThat(check(check, two)).isEmpty();
            assertThat(Invariants.all(Manifests.parse(two), ExternalReferences.NONE)).filteredOn(v -> v.contains("database")).isEmpty();
        }

        @Test
        void twoServicesSharingADatabaseAreReported() {
            // The k8s base shipped this way once: every service on .../lifespan, and audit_outbox created by two of them.
            String shared = replaceOnce(replaceOnce(two, "b-reactive: postgresql://db.ns.svc/b_db", "b-reactive: postgresql://db.ns.svc/a_db"),
                    "jdbc:postgresql://user@db:5432/b_db", "jdbc:postgresql://user@db.ns.svc.cluster.local/a_db");
            assertThat(check(check, shared)).singleElement().asString()
                    .contains("Deployment b container b and Deployment a container a share database a_db on db:5432");
        }

        @Test
        void theSameNameOnAnotherServerIsAnotherDatabase() {
            assertThat(brokenBy("b-reactive: postgresql://db.ns.svc/b_db", "b-reactive: postgresql://other:5433/a_db"))
                    .noneMatch(violation -> violation.contains("share"));
        }

        @Test
        void reactiveAndJdbcUrlsNamingDifferentDatabasesAreReported() {
            assertThat(brokenBy("a-jdbc: jdbc:postgresql://db:5432/a_db", "a-jdbc: jdbc:postgresql://db:5432/b_db"))
                    .anySatisfy(violation -> assertThat(violation).contains("Deployment a container a names different databases")
                            .contains("Flyway would migrate another database"));
        }

        @Test
        void aDatabaseTheOverlaysServerNeverMakesIsReported() {
            assertThat(brokenBy("CREATE DATABASE b_db;", "CREATE DATABASE b;")).singleElement().asString()
                    .contains("Deployment b container b uses database b_db on db:5432, which StatefulSet db never makes (it makes [a_db, b]");
        }

        @Test
        void initScriptsCountOnlyWhereTheImageRunsThem() {
            assertThat(brokenBy("mountPath: /docker-entrypoint-initdb.d", "mountPath: /etc/init")).singleElement().asString()
                    .contains("uses database b_db on db:5432, which StatefulSet db never makes (it makes [a_db]");
        }

        @Test
        void aUrlWithoutADatabaseIsReported() {
            assertThat(brokenBy("b-reactive: postgresql://db.ns.svc/b_db", "b-reactive: postgresql://db.ns.svc"))
                    .singleElement().asString().contains("env LIFESPAN_DB_REACTIVE_URL is not a PostgreSQL URL with a database");
        }
    }
}
