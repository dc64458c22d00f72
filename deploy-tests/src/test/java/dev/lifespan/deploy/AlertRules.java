package dev.lifespan.deploy;

import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import tools.jackson.dataformat.yaml.YAMLMapper;

/** The optional alerting rules ({@code k8s/components/prometheus-rules}): what they name, and promtool's view of them. */
final class AlertRules {
    private static final Pattern METER = Pattern.compile("\\blifespan_[a-z0-9_]+");

    private AlertRules() {
    }

    /** The PrometheusRule as shipped in {@code tree}'s source, bound strictly. */
    static PrometheusRule shipped(K8sTree tree) {
        try {
            return Manifests.parse(Files.readString(tree.source.resolve(K8sTree.PROMETHEUS_RULES))).all(PrometheusRule.class).findFirst()
                    .orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Rule> rules(PrometheusRule rule) {
        return rule.getSpec().getGroups().stream().flatMap(group -> group.getRules().stream()).toList();
    }

    /** Every Lifespan meter the rules' expressions name. */
    static Set<String> meters(PrometheusRule rule) {
        Set<String> meters = new TreeSet<>();
        for (Rule r : rules(rule)) {
            Matcher m = METER.matcher(r.getExpr().getStrVal());
            while (m.find()) {
                meters.add(m.group());
            }
        }
        return meters;
    }

    /** promtool from {@code $PROMTOOL} or the PATH, if there is one (CI installs it; a machine with only a JDK has none). */
    static Optional<Path> promtool() {
        String given = System.getenv("PROMTOOL");
        Stream<Path> candidates = given != null && !given.isBlank() ? Stream.of(Path.of(given))
                : Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).map(dir -> Path.of(dir, "promtool"));
        return candidates.filter(Files::isExecutable).findFirst();
    }

    /** The rule groups as a plain Prometheus rules file, for promtool: each rule's fields as the operator hands them on. */
    static Path asRulesFile(PrometheusRule rule, Path dir) throws IOException {
        List<Map<String, Object>> groups = rule.getSpec().getGroups().stream().map(group -> Map.<String, Object>of("name", group.getName(),
                "rules", group.getRules().stream().map(AlertRules::asMap).toList())).toList();
        Path file = dir.resolve("lifespan-rules.yaml");
        Files.writeString(file, new YAMLMapper().writeValueAsString(Map.of("groups", groups)));
        return file;
    }

    private static Map<String, Object> asMap(Rule r) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("alert", r.getAlert());
        rule.put("expr", r.getExpr().getStrVal());
        if (r.getFor() != null) {
            rule.put("for", r.getFor());
        }
        rule.put("labels", r.getLabels());
        rule.put("annotations", r.getAnnotations());
        return rule;
    }
}
