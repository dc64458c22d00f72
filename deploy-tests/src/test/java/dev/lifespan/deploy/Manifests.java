package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** The objects of one rendered overlay, with the look-ups the invariants need. */
record Manifests(List<HasMetadata> objects) {

    static Manifests parse(String yaml) {
        return new Manifests(StrictManifests.parse(yaml));
    }

    /** A Deployment or StatefulSet: the objects that run pods here. */
    record Workload(String kind, String name, LabelSelector selector, PodTemplateSpec template) {
        Map<String, String> podLabels() {
            return template.getMetadata() == null || template.getMetadata().getLabels() == null
                    ? Map.of() : template.getMetadata().getLabels();
        }

        @Override
        public String toString() {
            return kind + " " + name;
        }
    }

    <T extends HasMetadata> Stream<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast);
    }

    <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
        return all(type).filter(o -> name.equals(o.getMetadata().getName())).findFirst();
    }

    List<Workload> workloads() {
        return Stream.concat(
                all(Deployment.class).map(d -> new Workload("Deployment", d.getMetadata().getName(), d.getSpec().getSelector(),
                        d.getSpec().getTemplate())),
                all(StatefulSet.class).map(s -> new Workload("StatefulSet", s.getMetadata().getName(), s.getSpec().getSelector(),
                        s.getSpec().getTemplate()))).toList();
    }

    /** The workloads whose pods a selector picks. */
    List<Workload> selectedBy(LabelSelector selector) {
        return workloads().stream().filter(w -> matches(selector, w.podLabels())).toList();
    }

    /** The workloads whose pods a Service-style selector (labels only) picks. */
    List<Workload> selectedBy(Map<String, String> selector) {
        return workloads().stream().filter(w -> matches(selector, w.podLabels())).toList();
    }

    static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && selector.entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    /** Kubernetes label-selector semantics; an empty selector matches everything, a null one nothing. */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return false;
        }
        if (selector.getMatchLabels() != null && !selector.getMatchLabels().entrySet().stream()
                .allMatch(e -> e.getValue().equals(labels.get(e.getKey())))) {
            return false;
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String value = labels.get(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> value != null && values.contains(value);
                    case "NotIn" -> value == null || !values.contains(value);
                    case "Exists" -> value != null;
                    case "DoesNotExist" -> value == null;
                    default -> throw new IllegalArgumentException("unknown selector operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean isEmpty(LabelSelector selector) {
        return selector != null && (selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty())
                && (selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty());
    }
}
