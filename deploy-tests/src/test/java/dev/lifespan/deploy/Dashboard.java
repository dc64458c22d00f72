package dev.lifespan.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;

/** The optional Grafana dashboard ({@code k8s/components/grafana-dashboard}): its panels, and their queries as promtool reads them. */
final class Dashboard {
    static final String CONFIG_MAP = "lifespan-grafana-dashboard";
    static final String FILE = "lifespan-dashboard.json";

    private final JsonNode json;

    private Dashboard(JsonNode json) {
        this.json = json;
    }

    static Dashboard of(ConfigMap map) {
        return new Dashboard(new JsonMapper().readTree(map.getData().get(FILE)));
    }

    static Dashboard shipped(K8sTree tree) throws IOException {
        return new Dashboard(new JsonMapper().readTree(Files.readString(tree.source.resolve(K8sTree.GRAFANA_DASHBOARD))));
    }

    JsonNode json() {
        return json;
    }

    /** The panels that show data (rows left out). */
    List<JsonNode> panels() {
        return StreamSupport.stream(json.get("panels").spliterator(), false).filter(p -> !"row".equals(p.path("type").asString())).toList();
    }

    /** Every query of every panel, as written (with Grafana's variables). */
    List<String> queries() {
        return panels().stream().flatMap(p -> StreamSupport.stream(p.get("targets").spliterator(), false))
                .map(t -> t.get("expr").asString()).toList();
    }

    /** Every Lifespan meter the queries name. */
    Set<String> meters() {
        return AlertRules.metersIn(queries());
    }

    /**
     * The queries as recording rules in {@code dir/dashboard-queries.yaml}, Grafana's variables given the values a
     * dashboard would put in ({@code $__rate_interval}: 1m; {@code $namespace}: every namespace), for {@code promtool
     * check rules}: PromQL syntax, and each query's result a plain vector.
     */
    Path asRulesFile(Path dir) throws IOException {
        List<String> queries = queries();
        List<Map<String, Object>> rules = IntStream.range(0, queries.size())
                .mapToObj(i -> Map.<String, Object>of("record", "lifespan_dashboard:query_" + i, "expr",
                        queries.get(i).replace("$__rate_interval", "1m").replace("$namespace", ".*")))
                .toList();
        Files.createDirectories(dir);
        Path file = dir.resolve("dashboard-queries.yaml");
        Files.writeString(file, new YAMLMapper().writeValueAsString(Map.of("groups", List.of(Map.of("name", "dashboard", "rules", rules)))));
        return file;
    }
}
