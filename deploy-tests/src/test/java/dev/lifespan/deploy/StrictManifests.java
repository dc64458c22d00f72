package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.cfg.MapperConfig;
import tools.jackson.databind.introspect.Annotated;
import tools.jackson.databind.introspect.JacksonAnnotationIntrospector;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses a rendered YAML stream into the fabric8 Kubernetes model, strictly: a field the schema does not have, a kind
 * or apiVersion this repository does not expect, or a duplicate key fails the parse with the document and the path.
 *
 * <p>fabric8's model classes keep unknown fields in an {@code additionalProperties} map through a
 * {@code @JsonAnySetter}, which would let a misspelt {@code readinesProbe} through unnoticed. Here the any-setters are
 * switched off and {@link DeserializationFeature#FAIL_ON_UNKNOWN_PROPERTIES} is on, so Jackson refuses them instead.
 */
final class StrictManifests {

    /** apiVersion/kind → the model class a rendered object must bind to. Anything else is refused. */
    static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("apps/v1/StatefulSet", StatefulSet.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("monitoring.coreos.com/v1/ServiceMonitor", ServiceMonitor.class),
            Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class),
            Map.entry("cert-manager.io/v1/Certificate", CertManagerCertificate.class));

    private static final YAMLMapper MAPPER = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .annotationIntrospector(new NoAnySetter())
            .build();

    private StrictManifests() {
    }

    /** Every document of the stream, bound strictly; throws {@link InvalidManifest} on the first bad one. */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        int index = 0;
        try (MappingIterator<JsonNode> docs = MAPPER.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                index++;
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue;
                }
                objects.add(bind(doc, index));
            }
        } catch (JacksonException e) {
            throw new InvalidManifest("document " + (index + 1) + " is not valid YAML: " + e.getOriginalMessage(), e);
        }
        return objects;
    }

    private static HasMetadata bind(JsonNode doc, int index) {
        String apiVersion = doc.path("apiVersion").asString("");
        String kind = doc.path("kind").asString("");
        String name = doc.path("metadata").path("name").asString("?");
        Class<? extends HasMetadata> type = KINDS.get(apiVersion + "/" + kind);
        if (type == null) {
            throw new InvalidManifest("document " + index + " (" + name + "): " + apiVersion + " " + kind
                    + " is not a kind these manifests may contain; known: " + KINDS.keySet());
        }
        try {
            HasMetadata object = MAPPER.treeToValue(doc, type);
            if (object instanceof CertManagerCertificate certificate) {
                certificate.validate();
            }
            return object;
        } catch (JacksonException e) {
            throw new InvalidManifest(kind + " " + name + " does not match the " + apiVersion + " schema: " + e.getOriginalMessage()
                    + " at " + e.getPathReference(), e);
        } catch (IllegalArgumentException e) {
            throw new InvalidManifest(kind + " " + name + ": " + e.getMessage(), e);
        }
    }

    /** A rendered object that is not a valid Kubernetes object of an expected kind. */
    static final class InvalidManifest extends RuntimeException {
        InvalidManifest(String message, Throwable cause) {
            super(message, cause);
        }

        InvalidManifest(String message) {
            super(message);
        }
    }

    /** Jackson's introspector with every {@code @JsonAnySetter} ignored, so unknown fields are errors. */
    private static final class NoAnySetter extends JacksonAnnotationIntrospector {
        @Override
        public Boolean hasAnySetter(MapperConfig<?> config, Annotated a) {
            return Boolean.FALSE;
        }
    }
}
