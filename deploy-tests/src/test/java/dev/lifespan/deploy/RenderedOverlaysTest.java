package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import org.junit.jupiter.api.BeforeAll;
import tools.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Renders every overlay (and each with the optional ServiceMonitor components) with kubectl kustomize, binds every
 * object strictly to the Kubernetes schema and checks the invariants of {@link Invariants}. Dev must be complete in
 * itself; prod may reference only the Secrets k8s/README.md documents.
 */
class RenderedOverlaysTest {

    static final List<String> VARIANTS = K8sTree.VARIANTS;
    static final List<String> SERVICES = List.of("lifespan-issuer", "lifespan-revocation", "lifespan-audit");

    @TempDir
    static Path scratch;
    static K8sTree tree;
    static final Map<String, Manifests> rendered = new HashMap<>();

    @BeforeAll
    static void renderAll() {
        tree = K8sTree.prepare(scratch);
        Kustomize kustomize = Kustomize.fromEnvironment();
        for (String variant : VARIANTS) {
            rendered.put(variant, Manifests.parse(kustomize.render(tree.dir(variant))));
        }
    }

    static ExternalReferences externalFor(String variant) {
        return variant.contains("prod") ? ExternalReferences.documentedIn(tree.source.resolve("README.md")) : ExternalReferences.NONE;
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VARIANTS")
    void everyInvariantHolds(String variant) {
        Manifests m = rendered.get(variant);
        assertThat(Invariants.all(m, externalFor(variant))).as(variant).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @FieldSource("VARIANTS")
    void eachServiceHasItsWholeSet(String variant) {
        Manifests m = rendered.get(variant);
        for (String service : SERVICES) {
            assertThat(m.named(Deployment.class, service)).as(variant + " Deployment " + service).isPresent();
            assertThat(m.named(Service.class, service)).as(variant + " Service " + service).isPresent();
            assertThat(m.named(PodDisruptionBudget.class, service)).as(variant + " PDB " + service).isPresent();
            assertThat(m.named(HorizontalPodAutoscaler.class, service)).as(variant + " HPA " + service).isPresent();
            assertThat(m.named(NetworkPolicy.class, service)).as(variant + " NetworkPolicy " + service).isPresent();
        }
        NetworkPolicy deny = m.named(NetworkPolicy.class, "lifespan-default-deny").orElseThrow();
        assertThat(Manifests.isEmpty(deny.getSpec().getPodSelector())).isTrue();
        assertThat(deny.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
        assertThat(deny.getSpec().getIngress()).isNullOrEmpty();
        assertThat(deny.getSpec().getEgress()).isNullOrEmpty();
        for (HasMetadata o : m.objects()) {
            assertThat(o.getMetadata().getNamespace()).as(o.getKind() + " " + o.getMetadata().getName())
                    .isIn(variant.startsWith("variants") ? new String[] {"lifespan", null} : new String[] {"lifespan"});
        }
        if (variant.endsWith("monitored")) {
            assertThat(m.all(ServiceMonitor.class).count()).isEqualTo(3);
        }
        assertThat(m.named(NetworkPolicy.class, "lifespan-audit-webhook").isPresent()).as(variant + ": webhook egress only with its component")
                .isEqualTo(variant.endsWith("webhook"));
        assertThat(m.all(PrometheusRule.class).count()).as(variant + ": alerting rules only with their component")
                .isEqualTo(variant.endsWith("alerting") ? 1 : 0);
        assertThat(m.named(ConfigMap.class, Dashboard.CONFIG_MAP).isPresent()).as(variant + ": the dashboard only with its component")
                .isEqualTo(variant.endsWith("dashboard"));
    }

    @Test
    void theAlertingRulesAreCompleteAndNameOnlyLifespanMeters() {
        PrometheusRule shipped = alertingRules();
        // The variant adds the component on top of the overlay, outside its namespace; added in the overlay, it gets it.
        assertThat(shipped.getMetadata().getName()).isEqualTo("lifespan");
        List<Rule> rules = AlertRules.rules(shipped);
        assertThat(rules).hasSizeGreaterThanOrEqualTo(8);
        assertThat(rules).extracting(Rule::getAlert).doesNotHaveDuplicates().allSatisfy(name -> assertThat(name).matches("Lifespan[A-Za-z]+"));
        for (Rule rule : rules) {
            assertThat(rule.getLabels()).as(rule.getAlert()).containsKey("severity");
            assertThat(rule.getLabels().get("severity")).as(rule.getAlert()).isIn("warning", "critical");
            assertThat(rule.getAnnotations()).as(rule.getAlert()).containsKeys("summary", "description");
            assertThat(rule.getExpr().getStrVal()).as(rule.getAlert()).contains("lifespan_");
        }
        assertThat(AlertRules.meters(shipped)).as("meters named").contains("lifespan_revocation_feed_unheard_seconds",
                "lifespan_audit_revocation_pending_age_seconds", "lifespan_outbox_oldest_seconds");
    }

    /** PromQL and the rule file's shape as Prometheus reads them; where promtool is installed (CI installs it). */
    @Test
    void theAlertingRulesPassPromtool() throws Exception {
        Path promtool = AlertRules.requirePromtool();
        Path file = AlertRules.asRulesFile(alertingRules(), scratch.resolve("rules-check"));
        AlertRules.Run check = AlertRules.promtool(promtool, file.getParent(), "check", "rules", file.getFileName().toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS");
    }

    /**
     * Each alert fires when, and only when, its unit tests say ({@code src/test/resources/alerts}): series shaped like the
     * services' meters, through promtool's rule evaluator, thresholds and {@code for} durations included.
     */
    @Test
    void theAlertsFireWhenTheirUnitTestsSay() throws Exception {
        Path promtool = AlertRules.requirePromtool();
        Path dir = AlertRules.asUnitTestRulesFile(alertingRules(), scratch.resolve("rules-test")).getParent();
        try (InputStream tests = getClass().getResourceAsStream("/alerts/lifespan-rules.test.yaml")) {
            Files.copy(tests, dir.resolve("lifespan-rules.test.yaml"));
        }
        AlertRules.Run test = AlertRules.promtool(promtool, dir, "test", "rules", "lifespan-rules.test.yaml");
        assertThat(test.exit()).as(test.output()).isZero();
        assertThat(test.output()).contains("SUCCESS");
        // Every alert the rules define has a test.
        String written = Files.readString(dir.resolve("lifespan-rules.test.yaml"));
        assertThat(AlertRules.rules(alertingRules())).allSatisfy(rule -> assertThat(written).contains("alertname: " + rule.getAlert()));
    }

    /**
     * The dashboard as Grafana's sidecar would load it: labelled for it, every panel with a title, a description and
     * queries through the data source chosen on the dashboard, laid out on Grafana's 24-column grid without overlaps.
     */
    @Test
    void theDashboardIsCompleteAndReadsThroughItsDataSourceVariable() {
        ConfigMap map = rendered.get("variants/prod-dashboard").named(ConfigMap.class, Dashboard.CONFIG_MAP).orElseThrow();
        assertThat(map.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        Dashboard dashboard = Dashboard.of(map);
        assertThat(dashboard.json().get("uid").asString()).isEqualTo("lifespan");
        assertThat(dashboard.panels()).hasSizeGreaterThanOrEqualTo(10);
        List<int[]> taken = new ArrayList<>();
        for (JsonNode panel : dashboard.panels()) {
            String title = panel.path("title").asString();
            assertThat(title).isNotBlank();
            assertThat(panel.path("description").asString()).as(title).isNotBlank();
            assertThat(panel.path("datasource").path("uid").asString()).as(title).isEqualTo("${datasource}");
            assertThat(panel.get("targets")).as(title).isNotEmpty();
            // A Lifespan meter, or another one (HTTP and gRPC server timings) of a Lifespan service's scrape.
            panel.get("targets").forEach(target -> assertThat(target.path("expr").asString()).as(title).containsPattern("lifespan_|job=~?\"lifespan-")
                    .contains("namespace=~\"$namespace\""));
            JsonNode grid = panel.get("gridPos");
            int[] box = {grid.get("x").asInt(), grid.get("y").asInt(), grid.get("w").asInt(), grid.get("h").asInt()};
            assertThat(box[0] + box[2]).as(title + " within the grid").isLessThanOrEqualTo(24);
            for (int[] other : taken) {
                boolean overlap = box[0] < other[0] + other[2] && other[0] < box[0] + box[2] && box[1] < other[1] + other[3]
                        && other[1] < box[1] + box[3];
                assertThat(overlap).as(title + " overlaps another panel").isFalse();
            }
            taken.add(box);
        }
        assertThat(dashboard.meters()).contains("lifespan_revocation_feed_unheard_seconds", "lifespan_tokens_issued_total",
                "lifespan_signing_keys");
    }

    /** Every query is PromQL that Prometheus accepts, with the dashboard's variables filled in; where promtool is installed. */
    @Test
    void theDashboardQueriesPassPromtool() throws Exception {
        Path promtool = AlertRules.requirePromtool();
        ConfigMap map = rendered.get("variants/prod-dashboard").named(ConfigMap.class, Dashboard.CONFIG_MAP).orElseThrow();
        Path file = Dashboard.of(map).asRulesFile(scratch.resolve("dashboard-check"));
        AlertRules.Run check = AlertRules.promtool(promtool, file.getParent(), "check", "rules", file.getFileName().toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("SUCCESS");
    }

    private static PrometheusRule alertingRules() {
        return rendered.get("variants/prod-alerting").all(PrometheusRule.class).findFirst().orElseThrow();
    }

    @Test
    void theWebhookEgressComponentOpensHttpsToPublicAddressesFromTheAuditPodsOnly() {
        NetworkPolicy webhook = rendered.get("variants/prod-webhook").named(NetworkPolicy.class, "lifespan-audit-webhook").orElseThrow();
        assertThat(webhook.getSpec().getPodSelector().getMatchLabels()).containsExactly(Map.entry("app.kubernetes.io/name", "lifespan-audit"));
        assertThat(webhook.getSpec().getPolicyTypes()).containsExactly("Egress");
        assertThat(webhook.getSpec().getIngress()).isNullOrEmpty();
        assertThat(webhook.getSpec().getEgress()).singleElement().satisfies(rule -> {
            assertThat(rule.getPorts()).singleElement().satisfies(port -> {
                assertThat(port.getProtocol()).isEqualTo("TCP");
                assertThat(port.getPort().getIntVal()).isEqualTo(443);
            });
            assertThat(rule.getTo()).allSatisfy(peer -> assertThat(peer.getPodSelector()).isNull());
            Map<String, List<String>> blocks = rule.getTo().stream()
                    .collect(Collectors.toMap(peer -> peer.getIpBlock().getCidr(), peer -> peer.getIpBlock().getExcept()));
            assertThat(blocks.keySet()).containsExactlyInAnyOrder("0.0.0.0/0", "::/0");
            // Private, shared, loopback and link-local (cloud metadata) addresses stay closed.
            assertThat(blocks.get("0.0.0.0/0")).contains("10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
                    "192.168.0.0/16");
            assertThat(blocks.get("::/0")).contains("fc00::/7", "fe80::/10");
        });
    }

    @Test
    void devRunsOneReplicaOfEachServiceWithPostgresqlAndRedisInTheNamespace() {
        Manifests dev = rendered.get("overlays/dev");
        for (String service : SERVICES) {
            assertThat(dev.named(Deployment.class, service).orElseThrow().getSpec().getReplicas()).isEqualTo(1);
            assertThat(dev.named(HorizontalPodAutoscaler.class, service).orElseThrow().getSpec().getMinReplicas()).isEqualTo(1);
        }
        assertThat(dev.named(StatefulSet.class, "lifespan-postgresql").orElseThrow().getSpec().getReplicas()).isEqualTo(1);
        assertThat(dev.named(StatefulSet.class, "lifespan-redis").orElseThrow().getSpec().getReplicas()).isEqualTo(1);
        assertThat(runtime(dev)).containsEntry("QUARKUS_GRPC_SERVER_ENABLE_REFLECTION_SERVICE", "true")
                .containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "enabled");
    }

    @Test
    void prodRunsNativeImagesWithMoreReplicasExternalDatastoresAndMutualTls() {
        Manifests prod = rendered.get("overlays/prod");
        assertThat(prod.all(StatefulSet.class)).isEmpty();
        assertThat(prod.named(Service.class, "lifespan-postgresql").orElseThrow().getSpec().getType()).isEqualTo("ExternalName");
        assertThat(prod.named(Service.class, "lifespan-redis").orElseThrow().getSpec().getType()).isEqualTo("ExternalName");
        for (String service : SERVICES) {
            Deployment d = prod.named(Deployment.class, service).orElseThrow();
            assertThat(d.getSpec().getReplicas()).isEqualTo(3);
            assertThat(prod.named(HorizontalPodAutoscaler.class, service).orElseThrow().getSpec().getMinReplicas()).isEqualTo(3);
            Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            assertThat(c.getImage()).endsWith(":native");
            assertThat(c.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTPS");
            assertThat(c.getVolumeMounts()).anyMatch(vm -> vm.getMountPath().equals("/etc/lifespan/tls"));
            assertThat(d.getSpec().getTemplate().getSpec().getVolumes())
                    .anyMatch(v -> v.getSecret() != null && v.getSecret().getSecretName().equals(service + "-tls"));
        }
        assertThat(runtime(prod))
                .containsEntry("QUARKUS_HTTP_SSL_CLIENT_AUTH", "required")
                .containsEntry("QUARKUS_HTTP_INSECURE_REQUESTS", "disabled")
                .containsEntry("QUARKUS_TLS_KEY_STORE_PEM__0__CERT", "/etc/lifespan/tls/tls.crt")
                .containsEntry("QUARKUS_TLS_KEY_STORE_PEM__0__KEY", "/etc/lifespan/tls/tls.key")
                .containsEntry("QUARKUS_TLS_TRUST_STORE_PEM_CERTS", "/etc/lifespan/tls/ca.crt")
                .containsEntry("QUARKUS_MANAGEMENT_ENABLED", "true")
                .containsEntry("QUARKUS_GRPC_SERVER_ENABLE_REFLECTION_SERVICE", "false");
        Map<String, String> issuerEnv = env(prod.named(Deployment.class, "lifespan-issuer").orElseThrow());
        assertThat(issuerEnv).containsEntry("LIFESPAN_REVOCATION_TLS_CERTIFICATE", "/etc/lifespan/tls/tls.crt");
        NetworkPolicy datastores = prod.named(NetworkPolicy.class, "lifespan-allow-datastores").orElseThrow();
        assertThat(datastores.getSpec().getEgress()).allSatisfy(rule ->
                assertThat(rule.getTo()).allSatisfy(peer -> assertThat(peer.getIpBlock()).isNotNull()));
    }

    @Test
    void everyEnvironmentKeyTheManifestsSetIsInTheReadmeContract() {
        String readme = read(tree.source.resolve("README.md"));
        for (String variant : List.of("overlays/dev", "overlays/prod")) {
            Manifests m = rendered.get(variant);
            runtime(m).keySet().forEach(key -> assertThat(readme).as(variant + " " + key).contains("`" + key + "`"));
            for (String service : SERVICES) {
                env(m.named(Deployment.class, service).orElseThrow()).keySet()
                        .forEach(key -> assertThat(readme).as(variant + " " + service + " " + key).contains("`" + key + "`"));
            }
        }
    }

    private static Map<String, String> runtime(Manifests m) {
        return m.all(ConfigMap.class).filter(cm -> cm.getMetadata().getName().startsWith("lifespan-runtime-"))
                .findFirst().orElseThrow().getData();
    }

    private static Map<String, String> env(Deployment d) {
        return d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "(reference)" : e.getValue()));
    }

    private static String read(Path p) {
        try {
            return java.nio.file.Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
