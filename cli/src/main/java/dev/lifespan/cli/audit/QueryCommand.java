package dev.lifespan.cli.audit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.input.TimeInput;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** {@code audit query}: events matching filters, oldest first (Audit.Query, scope audit:read). */
@Command(name = "query", mixinStandardHelpOptions = true, description = "Events matching filters, oldest first (scope audit:read).")
public class QueryCommand implements Runnable {
    @Mixin ConnectionOptions connection;
    @Mixin OutputOptions output;
    @Mixin EventFilters filters;

    @Option(names = "--from", paramLabel = "TIME", converter = TimeInput.InstantConverter.class,
            description = "Only events at or after TIME: ISO-8601 instant, now, or a span ago (10m, 2h, 1d).")
    Instant from;

    @Option(names = "--to", paramLabel = "TIME", converter = TimeInput.InstantConverter.class, description = "Only events before TIME.")
    Instant to;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N events, 1-10000 (default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "SEQ", description = "Continue after this sequence (the last one of a previous page).")
    long after;

    @Override
    public void run() {
        if (limit < 1 || limit > 10_000) {
            throw new CliException(ExitCodes.USAGE, "--limit: " + limit + " is not between 1 and 10000");
        }
        if (after < 0) {
            throw new CliException(ExitCodes.USAGE, "--after: a sequence is not negative");
        }
        if (from != null && to != null && !to.isAfter(from)) {
            throw new CliException(ExitCodes.USAGE, "--to: " + to + " is not after --from " + from);
        }
        QueryRequest.Builder request = filters.request().setLimit(limit).setAfterSequence(after);
        if (from != null) {
            request.setFrom(EventFilters.timestamp(from));
        }
        if (to != null) {
            request.setTo(EventFilters.timestamp(to));
        }
        try (Connection c = new Connection(connection.settings())) {
            List<AuditEvent> events = c.call(Target.AUDIT, () -> {
                List<AuditEvent> read = new ArrayList<>();
                c.withDeadline(c.audit("audit:read")).query(request.build()).forEachRemaining(r -> read.add(r.getEvent()));
                return read;
            });
            if (output.json()) {
                ArrayNode array = OutputOptions.array();
                events.forEach(e -> array.add(EventFilters.json(e)));
                output.print(OutputOptions.object().set("events", array));
                return;
            }
            if (events.isEmpty()) {
                output.line("no events match");
                return;
            }
            Table table = new Table(EventFilters.headers());
            events.forEach(e -> table.row(EventFilters.row(e)));
            table.print(output.out());
            if (events.size() == limit) {
                output.err().println("(first " + limit + " shown; continue with --after " + events.get(events.size() - 1).getSequence() + ")");
                output.err().flush();
            }
        }
    }
}
