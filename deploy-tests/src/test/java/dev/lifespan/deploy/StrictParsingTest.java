package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.dataformat.yaml.YAMLMapper;

import static dev.lifespan.deploy.Fixtures.replaceOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parse that every rendered object goes through refuses what the Kubernetes API server would not accept as written. */
class StrictParsingTest {

    static final String APP = Fixtures.smallApp();

    @Test
    void aCorrectStreamParsesIntoTheModel() {
        assertThat(StrictManifests.parse(APP)).hasSize(9);
    }

    @Test
    void aMisspelledContainerFieldFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "          readinessProbe:", "          readinesProbe:")))
                .isInstanceOf(StrictManifests.InvalidManifest.class)
                .hasMessageContaining("Deployment app")
                .hasMessageContaining("readinesProbe");
    }

    @Test
    void plainJacksonWouldHaveKeptTheMisspellingInAdditionalProperties() {
        // Why the any-setters are switched off: with FAIL_ON_UNKNOWN_PROPERTIES alone the typo is accepted silently.
        String yaml = replaceOnce(APP, "          readinessProbe:", "          readinesProbe:");
        String deployment = yaml.substring(yaml.indexOf("apiVersion: apps/v1"), yaml.indexOf("---", yaml.indexOf("apiVersion: apps/v1")));
        Deployment lenient = YAMLMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build()
                .readValue(deployment, Deployment.class);
        var container = lenient.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(container.getReadinessProbe()).isNull();
        assertThat(container.getAdditionalProperties()).containsKey("readinesProbe");
    }

    @Test
    void aMisspelledSpecFieldFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "  maxUnavailable: 1", "  maxUnavailabel: 1")))
                .hasMessageContaining("PodDisruptionBudget app").hasMessageContaining("maxUnavailabel");
    }

    @Test
    void aMisspelledTopLevelFieldFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "kind: ServiceAccount\nmetadata:", "kind: ServiceAccount\nmetdata:")))
                .hasMessageContaining("metdata");
    }

    @Test
    void aValueOfTheWrongTypeFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "replicas: 2", "replicas: two")))
                .hasMessageContaining("Deployment app").hasMessageContaining("replicas");
    }

    @Test
    void aDuplicateKeyFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n")))
                .hasMessageContaining("replicas");
    }

    @Test
    void anUnknownKindFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "kind: ConfigMap", "kind: ConfigMapp")))
                .hasMessageContaining("v1 ConfigMapp is not a kind");
    }

    @Test
    void aRetiredApiVersionFails() {
        assertThatThrownBy(() -> StrictManifests.parse(replaceOnce(APP, "apiVersion: policy/v1", "apiVersion: policy/v1beta1")))
                .hasMessageContaining("policy/v1beta1 PodDisruptionBudget is not a kind");
    }

    @Test
    void certManagerCertificatesAreBoundAsStrictly() {
        String certificate = """
                apiVersion: cert-manager.io/v1
                kind: Certificate
                metadata:
                  name: app-tls
                spec:
                  secretName: app-tls
                  duration: 2160h
                  dnsNames: [app]
                  usages: [digital signature, server auth, client auth]
                  privateKey:
                    algorithm: ECDSA
                    size: 256
                    encoding: PKCS8
                    rotationPolicy: Always
                  issuerRef:
                    name: ca
                    kind: Issuer
                    group: cert-manager.io
                """;
        assertThat(StrictManifests.parse(certificate)).singleElement().isInstanceOf(CertManagerCertificate.class);
        assertThatThrownBy(() -> StrictManifests.parse(certificate.replace("dnsNames:", "dnsName:")))
                .hasMessageContaining("Certificate app-tls").hasMessageContaining("dnsName");
        assertThatThrownBy(() -> StrictManifests.parse(certificate.replace("server auth", "server-auth")))
                .hasMessageContaining("'server-auth' is not a cert-manager key usage");
        assertThatThrownBy(() -> StrictManifests.parse(certificate.replace("encoding: PKCS8", "encoding: PEM")))
                .hasMessageContaining("encoding must be PKCS1 or PKCS8");
        assertThatThrownBy(() -> StrictManifests.parse(certificate.replace("duration: 2160h", "duration: 90d")))
                .hasMessageContaining("not a Go duration");
    }
}
