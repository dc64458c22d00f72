package dev.lifespan.deploy;

import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.Rule;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import tools.jackson.dataformat.yaml.YAMLMapper;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
        return metersIn(rules(rule).stream().map(r -> r.getExpr().getStrVal()).toList());
    }

    /** Every Lifespan meter the PromQL {@code expressions} name, as the scrape spells them (with {@code _total}, {@code _bucket}, ...). */
    static Set<String> metersIn(List<String> expressions) {
        Set<String> meters = new TreeSet<>();
        for (String expression : expressions) {
            Matcher m = METER.matcher(expression);
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

    /**
     * The rule groups as a plain Prometheus rules file ({@code lifespan-rules.yaml} in {@code dir}), for promtool: each
     * rule's fields as the operator hands them on.
     */
    static Path asRulesFile(PrometheusRule rule, Path dir) throws IOException {
        return write(rule, dir, annotations -> annotations);
    }

    /**
     * The same with each alert's summary as its only annotation, for {@code promtool test rules}, which compares every
     * annotation: the tests state what an alert says in one line, not its whole runbook text.
     */
    static Path asUnitTestRulesFile(PrometheusRule rule, Path dir) throws IOException {
        return write(rule, dir, annotations -> Map.of("summary", annotations.get("summary")));
    }

    /** promtool, or why there is none: fails where {@code LIFESPAN_REQUIRE_PROMTOOL} is set (CI), else skips the test. */
    static Path requirePromtool() {
        Optional<Path> promtool = promtool();
        if (promtool.isEmpty() && Boolean.parseBoolean(System.getenv("LIFESPAN_REQUIRE_PROMTOOL"))) {
            throw new AssertionError("LIFESPAN_REQUIRE_PROMTOOL is set but there is no promtool ($PROMTOOL or on the PATH)");
        }
        assumeTrue(promtool.isPresent(), "no promtool ($PROMTOOL or on the PATH): .ci/run installs it");
        return promtool.get();
    }

    /** Runs promtool with {@code args} in {@code dir}; its exit code and output. */
    static Run promtool(Path promtool, Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process run = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Run(run.waitFor(), output);
    }

    record Run(int exit, String output) {
    }

    private static Path write(PrometheusRule rule, Path dir, UnaryOperator<Map<String, String>> annotations) throws IOException {
        List<Map<String, Object>> groups = rule.getSpec().getGroups().stream().map(group -> Map.<String, Object>of("name", group.getName(),
                "rules", group.getRules().stream().map(r -> asMap(r, annotations)).toList())).toList();
        Files.createDirectories(dir);
        Path file = dir.resolve("lifespan-rules.yaml");
        Files.writeString(file, new YAMLMapper().writeValueAsString(Map.of("groups", groups)));
        return file;
    }

    private static Map<String, Object> asMap(Rule r, UnaryOperator<Map<String, String>> annotations) {
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("alert", r.getAlert());
        rule.put("expr", r.getExpr().getStrVal());
        if (r.getFor() != null) {
            rule.put("for", r.getFor());
        }
        rule.put("labels", r.getLabels());
        rule.put("annotations", annotations.apply(r.getAnnotations()));
        return rule;
    }
}
