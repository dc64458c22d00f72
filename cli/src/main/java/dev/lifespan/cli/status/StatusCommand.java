package dev.lifespan.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.GetJwksRequest;
import dev.lifespan.api.v1.KeyState;
import dev.lifespan.api.v1.SigningKey;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.Failures;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.keys.KeysCommand;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Times;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code lifespan status}: is the stack able to serve, and is it in step. Every figure is read where the services expose
 * it today: readiness and its details on each management port ({@code /q/health/ready}: database, active signing key,
 * revocation-feed state and sequence, revocation-relay and audit-outbox backlogs), the revocation log's head from
 * {@code Revocation.Since} (open), and the keys with their times from {@code TokenIssuer.GetJwks} (public): the NEXT key's
 * activation is the next rotation, since the issuer always keeps a successor published.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Each service's readiness, revocation-feed lag, relay and outbox backlogs, the active signing key and the next rotation.",
                "Needs no credentials (management ports and public RPCs). Exit 0 when every service is ready, 4 otherwise."})
public class StatusCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int FEED_PROBE = 10_000;

    @Mixin ConnectionOptions connection;
    @Mixin OutputOptions output;

    /** One service's readiness: UP, DOWN (answered 503), or unreachable (no answer; {@code problem} says why). */
    record Readiness(Target target, String url, String status, JsonNode checks, String problem) {
        boolean ready() {
            return "UP".equals(status);
        }

        /** The data of the check named {@code name}, if the service reported it. */
        Optional<JsonNode> check(String name) {
            if (checks == null) {
                return Optional.empty();
            }
            for (JsonNode check : checks) {
                if (name.equals(check.path("name").asText())) {
                    return Optional.of(check.path("data"));
                }
            }
            return Optional.empty();
        }
    }

    @Override
    public Integer call() {
        try (Connection c = new Connection(connection.settings())) {
            Map<Target, Readiness> readiness = new EnumMap<>(Target.class);
            for (Target target : Target.values()) {
                readiness.put(target, readiness(c, target));
            }
            ObjectNode feed = feed(c, readiness);
            ObjectNode keys = keys(c);
            ObjectNode backlogs = backlogs(readiness);
            boolean allReady = readiness.values().stream().allMatch(Readiness::ready);
            if (output.json()) {
                ObjectNode root = OutputOptions.object().put("ready", allReady);
                ObjectNode services = root.putObject("services");
                readiness.forEach((target, r) -> {
                    ObjectNode s = services.putObject(target.name().toLowerCase(Locale.ROOT)).put("url", r.url()).put("status", r.status());
                    if (r.problem() != null) {
                        s.put("problem", r.problem());
                    }
                    if (r.checks() != null) {
                        s.set("checks", r.checks());
                    }
                });
                root.set("revocation_feed", feed);
                root.set("backlogs", backlogs);
                root.set("signing_keys", keys);
                output.print(root);
            } else {
                print(readiness, feed, backlogs, keys);
            }
            return allReady ? ExitCodes.OK : ExitCodes.OUTAGE;
        }
    }

    private Readiness readiness(Connection c, Target target) {
        String url = c.settings().managementUrl(target) + "/q/health/ready";
        try {
            HttpResponse<String> response = c.http().send(HttpRequest.newBuilder(URI.create(url)).timeout(c.settings().timeout()).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(response.body());
            } catch (IOException e) {
                return new Readiness(target, url, "UNKNOWN", null, "HTTP " + response.statusCode() + ", not a health report");
            }
            return new Readiness(target, url, body.path("status").asText("UNKNOWN"), body.path("checks"), null);
        } catch (IOException e) {
            return new Readiness(target, url, "UNREACHABLE", null, Failures.classify(e).getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.OUTAGE, "interrupted");
        }
    }

    /** Each feed reporter's sequence, the log's head, and how far behind each one is. */
    private static ObjectNode feed(Connection c, Map<Target, Readiness> readiness) {
        ObjectNode feed = OutputOptions.object();
        ObjectNode reporters = feed.putObject("reporters");
        long highest = 0;
        for (Readiness r : readiness.values()) {
            Optional<JsonNode> data = r.check("revocation-feed");
            if (data.isPresent()) {
                ObjectNode reporter = reporters.putObject(r.target().name().toLowerCase(Locale.ROOT));
                reporter.put("state", data.get().path("state").asText(""));
                if (data.get().has("sequence")) {
                    long sequence = data.get().path("sequence").asLong();
                    reporter.put("sequence", sequence);
                    highest = Math.max(highest, sequence);
                }
                if (data.get().has("unheard-seconds")) {
                    reporter.put("unheard_seconds", data.get().path("unheard-seconds").asLong());
                }
            }
        }
        long from = highest;
        try {
            // Rules after the highest sequence any reporter holds: usually none, so this reads nothing.
            long[] head = {from};
            long[] count = {0};
            Iterator<dev.lifespan.api.v1.SinceResponse> rules = c.withDeadline(c.revocationPublic())
                    .since(SinceRequest.newBuilder().setAfterSequence(from).setLimit(FEED_PROBE).build());
            rules.forEachRemaining(rule -> {
                head[0] = Math.max(head[0], rule.getRule().getSequence());
                count[0]++;
            });
            feed.put("log_head", head[0]);
            if (count[0] >= FEED_PROBE) {
                feed.put("log_head_note", "at least");
            }
            reporters.fields().forEachRemaining(e -> {
                if (e.getValue().has("sequence")) {
                    ((ObjectNode) e.getValue()).put("behind", head[0] - e.getValue().path("sequence").asLong());
                }
            });
        } catch (RuntimeException e) {
            feed.put("log_head_problem", "revocation service at " + c.settings().grpcTarget(Target.REVOCATION) + ": " + Failures.classify(e).getMessage());
        }
        return feed;
    }

    /**
     * One backlog from a readiness check's data ({@code <prefix>backlog} and {@code <prefix>oldest_seconds}), as
     * {@code <service>_<name>}; nothing when the check or its figures are absent (an older service, a relay turned off).
     */
    private static void backlog(ObjectNode backlogs, Map<Target, Readiness> readiness, Target target, String check, String prefix, String name) {
        readiness.get(target).check(check).filter(d -> d.has(prefix + "backlog")).ifPresent(d ->
                backlogs.putObject(target.name().toLowerCase(Locale.ROOT) + "_" + name)
                        .put("backlog", d.path(prefix + "backlog").asLong()).put("oldest_seconds", d.path(prefix + "oldest_seconds").asLong()));
    }

    private static ObjectNode backlogs(Map<Target, Readiness> readiness) {
        ObjectNode backlogs = OutputOptions.object();
        backlog(backlogs, readiness, Target.ISSUER, "revocation-relay", "", "revocation_relay");
        for (Target target : List.of(Target.ISSUER, Target.REVOCATION)) {
            backlog(backlogs, readiness, target, "audit-outbox", "audit_outbox_", "audit_outbox");
        }
        backlog(backlogs, readiness, Target.AUDIT, "revocation-retries", "", "revocation_retries");
        return backlogs;
    }

    private static ObjectNode keys(Connection c) {
        ObjectNode keys = OutputOptions.object();
        try {
            List<SigningKey> all = c.withDeadline(c.issuerPublic()).getJwks(GetJwksRequest.getDefaultInstance()).getKeysList();
            all.stream().filter(k -> k.getState() == KeyState.KEY_STATE_ACTIVE).max(Comparator.comparing(k -> Times.instant(k.getActivatesAt())))
                    .ifPresent(k -> keys.putObject("active").put("key_id", k.getKeyId()).put("algorithm", k.getAlgorithm())
                            .put("since", Times.show(k.getActivatesAt())).put("retires_at", Times.show(k.getRetiresAt())));
            all.stream().filter(k -> k.getState() == KeyState.KEY_STATE_NEXT).min(Comparator.comparing(k -> Times.instant(k.getActivatesAt())))
                    .ifPresent(k -> keys.putObject("next").put("key_id", k.getKeyId()).put("algorithm", k.getAlgorithm())
                            .put("activates_at", Times.show(k.getActivatesAt())));
            keys.put("next_rotation", keys.has("next") ? keys.path("next").path("activates_at").asText() : "");
            ArrayNode states = keys.putArray("published");
            all.forEach(k -> states.add(k.getKeyId() + " " + KeysCommand.state(k.getState())));
        } catch (RuntimeException e) {
            keys.put("problem", "issuer at " + c.settings().grpcTarget(Target.ISSUER) + ": " + Failures.classify(e).getMessage());
        }
        return keys;
    }

    private void print(Map<Target, Readiness> readiness, ObjectNode feed, ObjectNode backlogs, ObjectNode keys) {
        Instant now = Instant.now();
        int width = 20;
        for (Readiness r : readiness.values()) {
            if (r.checks() != null) {
                for (JsonNode check : r.checks()) {
                    width = Math.max(width, check.path("name").asText().length() + 2);
                }
            }
        }
        for (Readiness r : readiness.values()) {
            output.line(String.format("%-" + width + "s %-11s %s", r.target().title(), r.status(), r.problem() != null ? r.problem() : r.url()));
            if (r.checks() != null) {
                for (JsonNode check : r.checks()) {
                    List<String> data = new ArrayList<>();
                    check.path("data").fields().forEachRemaining(e -> data.add(e.getKey() + "=" + e.getValue().asText()));
                    output.line(String.format("  %-" + (width - 2) + "s %-11s %s", check.path("name").asText(), check.path("status").asText(),
                            String.join("  ", data)).stripTrailing());
                }
            }
        }
        output.line("");
        StringBuilder lag = new StringBuilder("revocation feed     ");
        if (feed.has("log_head")) {
            lag.append("log head ").append(feed.path("log_head_note").asText("")).append(feed.path("log_head_note").isMissingNode() ? "" : " ")
                    .append(feed.path("log_head").asLong());
        } else {
            lag.append(feed.path("log_head_problem").asText());
        }
        output.line(lag.toString());
        feed.path("reporters").fields().forEachRemaining(e -> output.line(String.format("  %-18s %s", e.getKey(),
                e.getValue().path("state").asText() + (e.getValue().has("sequence") ? ", at " + e.getValue().path("sequence").asLong() : "")
                        + (e.getValue().has("behind") ? ", " + e.getValue().path("behind").asLong() + " rule(s) behind" : "")
                        + (e.getValue().has("unheard_seconds") ? ", unheard for " + e.getValue().path("unheard_seconds").asLong() + " s" : ""))));
        output.line("backlogs");
        if (backlogs.isEmpty()) {
            output.line("  (none reported)");
        }
        backlogs.fields().forEachRemaining(e -> output.line(String.format("  %-24s %d waiting, oldest %d s", e.getKey().replace('_', ' '),
                e.getValue().path("backlog").asLong(), e.getValue().path("oldest_seconds").asLong())));
        output.line("signing keys");
        if (keys.has("problem")) {
            output.line("  " + keys.path("problem").asText());
            return;
        }
        JsonNode active = keys.path("active");
        output.line(active.isMissingNode() ? "  no active key" : "  active   " + active.path("key_id").asText() + " (" + active.path("algorithm").asText()
                + "), signing since " + active.path("since").asText());
        JsonNode next = keys.path("next");
        if (next.isMissingNode()) {
            output.line("  next rotation: not scheduled yet (the issuer publishes a successor at its next key check)");
        } else {
            Instant at = Instant.parse(next.path("activates_at").asText());
            output.line("  next rotation " + next.path("activates_at").asText() + " (" + Times.relative(at, now) + "): " + next.path("key_id").asText()
                    + " (" + next.path("algorithm").asText() + ") is published and signs from then");
        }
    }
}
