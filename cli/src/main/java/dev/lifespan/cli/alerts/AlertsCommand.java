package dev.lifespan.cli.alerts;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.AlertSeverity;
import dev.lifespan.api.v1.WatchAlertsRequest;
import dev.lifespan.api.v1.WatchAlertsResponse;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Times;
import io.quarkus.runtime.annotations.RegisterForReflection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/** {@code lifespan alerts}: anomaly alerts as the audit service raises them (Audit.WatchAlerts, scope audit:read). */
@Command(name = "alerts", mixinStandardHelpOptions = true, description = "Watch anomaly alerts.", subcommands = AlertsCommand.Watch.class)
public class AlertsCommand {

    /** The severities people type (registered so a native image can read their names). */
    @RegisterForReflection
    public enum Severity { warning, critical }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = {"Stream anomaly alerts as they are raised (scope audit:read); Ctrl-C stops.",
                    "With --after, stored alerts after that id are shown first (--after 0: all of them)."})
    public static class Watch implements Runnable {
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @Option(names = "--after", paramLabel = "ALERT_ID", description = "Replay stored alerts after this id first; 0 replays every stored alert.")
        String after;

        @Option(names = "--rule", paramLabel = "RULE", split = ",", description = "Only these rules (e.g. refresh-reuse); repeat or comma-separate.")
        List<String> rules = new ArrayList<>();

        @Option(names = "--min-severity", paramLabel = "SEVERITY", description = "Only alerts at or above: warning or critical.")
        Severity minSeverity;

        @Option(names = "--count", paramLabel = "N", description = "Stop after N alerts (default: watch until stopped).")
        Long count;

        @Override
        public void run() {
            if (after != null && !after.matches("\\d{1,19}")) {
                throw new CliException(ExitCodes.USAGE, "--after: an alert id is decimal digits (at most 19), not '" + after + "'");
            }
            if (count != null && count < 1) {
                throw new CliException(ExitCodes.USAGE, "--count: " + count + " is not a positive number");
            }
            for (String rule : rules) {
                if (rule.isBlank() || rule.length() > 64) {
                    throw new CliException(ExitCodes.USAGE, "--rule: a rule name is 1-64 characters");
                }
            }
            WatchAlertsRequest.Builder request = WatchAlertsRequest.newBuilder().addAllRules(rules);
            if (after != null) {
                request.setAfterAlertId(after);
            }
            if (minSeverity != null) {
                request.setMinSeverity(minSeverity == Severity.critical ? AlertSeverity.ALERT_SEVERITY_CRITICAL : AlertSeverity.ALERT_SEVERITY_WARNING);
            }
            try (Connection c = new Connection(connection.settings())) {
                Iterator<WatchAlertsResponse> stream = c.call(Target.AUDIT, () -> c.audit("audit:read").watchAlerts(request.build()));
                if (!output.json()) {
                    output.err().println("watching alerts at " + c.settings().grpcTarget(Target.AUDIT) + " (Ctrl-C stops)");
                    output.err().flush();
                }
                long shown = 0;
                while (c.call(Target.AUDIT, stream::hasNext)) {
                    Alert alert = stream.next().getAlert();
                    if (output.json()) {
                        output.printLine(json(alert));
                    } else {
                        output.line(line(alert));
                    }
                    if (count != null && ++shown >= count) {
                        return;
                    }
                }
                throw new CliException(ExitCodes.OUTAGE, "audit service at " + c.settings().grpcTarget(Target.AUDIT) + " ended the alert stream");
            }
        }
    }

    static String severity(AlertSeverity severity) {
        return severity.name().replace("ALERT_SEVERITY_", "").toLowerCase(Locale.ROOT);
    }

    static String line(Alert a) {
        StringBuilder line = new StringBuilder();
        line.append(Times.show(a.getRaisedAt())).append("  ").append(severity(a.getSeverity()).toUpperCase(Locale.ROOT)).append("  ")
                .append(a.getRule()).append("  #").append(a.getAlertId());
        if (!a.getSubject().isEmpty()) {
            line.append("  sub=").append(a.getSubject());
        }
        if (!a.getSessionId().isEmpty()) {
            line.append("  sid=").append(a.getSessionId());
        }
        if (!a.getClientId().isEmpty()) {
            line.append("  client=").append(a.getClientId());
        }
        if (!a.getSourceIp().isEmpty()) {
            line.append("  ip=").append(a.getSourceIp());
        }
        line.append("\n    ").append(a.getSummary()); // the summary says what was seen against the threshold
        line.append("\n    action: ").append(a.getActionTaken().isEmpty() ? "none" : a.getActionTaken());
        return line.toString();
    }

    static ObjectNode json(Alert a) {
        return OutputOptions.object().put("alert_id", a.getAlertId()).put("rule", a.getRule()).put("severity", severity(a.getSeverity()))
                .put("raised_at", Times.show(a.getRaisedAt())).put("subject", a.getSubject()).put("session_id", a.getSessionId())
                .put("client_id", a.getClientId()).put("source_ip", a.getSourceIp()).put("summary", a.getSummary())
                .put("action_taken", a.getActionTaken()).put("trigger_event_id", a.getTriggerEventId()).put("observed", a.getObserved())
                .put("threshold", a.getThreshold());
    }
}
