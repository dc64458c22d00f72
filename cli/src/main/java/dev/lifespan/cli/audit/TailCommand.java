package dev.lifespan.cli.audit;

import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.QueryRequest;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.input.TimeInput;
import dev.lifespan.cli.output.OutputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * {@code audit tail}: follows new events as they are stored. Audit.Query is a bounded stream, so this asks again every
 * {@code --interval} for events after the last sequence seen: nothing is missed or shown twice, whatever the interval.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Follow events as they are stored (scope audit:read); Ctrl-C stops.", "Starts with the events of the last --since."})
public class TailCommand implements Runnable {
    @Mixin ConnectionOptions connection;
    @Mixin OutputOptions output;
    @Mixin EventFilters filters;

    @Option(names = "--since", paramLabel = "SPAN", defaultValue = "1m", converter = TimeInput.DurationConverter.class,
            description = "Show the events of this last span first (default ${DEFAULT-VALUE}).")
    Duration since;

    @Option(names = "--interval", paramLabel = "SPAN", defaultValue = "1s", converter = TimeInput.DurationConverter.class,
            description = "How often to ask for new events (default ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N events (default: follow until stopped).")
    Long count;

    @Override
    public void run() {
        if (count != null && count < 1) {
            throw new CliException(ExitCodes.USAGE, "--count: " + count + " is not a positive number");
        }
        QueryRequest base = filters.request().setLimit(1000).build();
        // The first ask is by time (the last --since); every later one only by sequence, so that an event stored late
        // (its producer's relay waited) is still shown once.
        QueryRequest first = base.toBuilder().setFrom(EventFilters.timestamp(Instant.now().minus(since))).build();
        long after = 0;
        long shown = 0;
        try (Connection c = new Connection(connection.settings())) {
            while (!Thread.currentThread().isInterrupted()) {
                QueryRequest request = after == 0 ? first : base.toBuilder().setAfterSequence(after).build();
                var page = c.call(Target.AUDIT, () -> {
                    java.util.List<AuditEvent> read = new java.util.ArrayList<>();
                    c.withDeadline(c.audit("audit:read")).query(request).forEachRemaining(r -> read.add(r.getEvent()));
                    return read;
                });
                for (AuditEvent event : page) {
                    after = Math.max(after, event.getSequence());
                    if (output.json()) {
                        output.printLine(EventFilters.json(event));
                    } else {
                        output.line(EventFilters.line(event));
                    }
                    if (count != null && ++shown >= count) {
                        return;
                    }
                }
                if (page.size() < 1000) {
                    TimeUnit.MILLISECONDS.sleep(interval.toMillis());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
