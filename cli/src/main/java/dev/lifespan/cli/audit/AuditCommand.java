package dev.lifespan.cli.audit;

/** {@code lifespan audit}: the audit trail: query, follow, export, and verify an export offline. */
@picocli.CommandLine.Command(name = "audit", mixinStandardHelpOptions = true, description = "Read, export and verify the audit trail.",
        subcommands = {QueryCommand.class, TailCommand.class, ExportCommand.class, VerifyCommand.class})
public class AuditCommand {
}
