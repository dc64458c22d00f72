package dev.lifespan.cli;

import dev.lifespan.cli.alerts.AlertsCommand;
import dev.lifespan.cli.audit.AuditCommand;
import dev.lifespan.cli.keys.KeysCommand;
import dev.lifespan.cli.revoke.RevokeCommand;
import dev.lifespan.cli.sessions.SessionsCommand;
import dev.lifespan.cli.status.StatusCommand;
import dev.lifespan.cli.token.TokenCommand;
import io.quarkus.picocli.runtime.annotations.TopCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lifespan}: the operators' command line for Lifespan. Each subcommand is one task of an incident (list and end
 * sessions, revoke, rotate keys, read and verify the audit trail, watch alerts, inspect a token, check the stack).
 */
@TopCommand
@Command(name = "lifespan", mixinStandardHelpOptions = true, versionProvider = LifespanCommand.Version.class,
        description = "Operate Lifespan: sessions, revocation, signing keys, the audit trail, alerts, tokens and status.",
        subcommands = {SessionsCommand.class, RevokeCommand.class, KeysCommand.class, AuditCommand.class, AlertsCommand.class,
                TokenCommand.class, StatusCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nCredentials and targets%n",
        // Lines of at most 79 characters: picocli wraps longer ones at 80 wherever it can, mid-path included.
        footer = {"Commands that call a service take --client-id and the addresses as options;",
                "each falls back to an environment variable (LIFESPAN_CLIENT_ID,",
                "LIFESPAN_CLIENT_SECRET, LIFESPAN_ISSUER, ...), then to",
                "~/.config/lifespan/config.properties, then to the addresses of ./run-local.sh.",
                "Keep the client secret out of the command line: use the variable or the",
                "config file (mode 600).",
                "",
                "Exit status",
                "  0   done",
                "  1   the answer is no: the token is not valid, the export does not verify",
                "  2   usage: a wrong option or argument, a missing secret, an unreadable file",
                "  3   refused: bad credentials, missing scope, invalid input, not found",
                "      (retrying will not help)",
                "  4   outage: unreachable, unavailable, deadline, rate limited, not ready",
                "      (retry later)",
                "  70  unexpected error",
                "",
                "Shell completion: source <(lifespan completion)"})
public class LifespanCommand implements Runnable {
    private final Environment environment;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public LifespanCommand() {
        this(Environment.system());
    }

    public LifespanCommand(Environment environment) {
        this.environment = environment;
    }

    public Environment environment() {
        return environment;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required (see lifespan --help)");
    }

    /**
     * The command line as the {@code lifespan} binary runs it: failures mapped to exit statuses by {@link Failures},
     * case-insensitive enum values ({@code --output JSON}). Quarkus's producer and the tests both go through here.
     */
    public static CommandLine configure(CommandLine commandLine) {
        commandLine.setExecutionExceptionHandler(new Failures());
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        // Session and token ids are base64url and one in 64 starts with '-': taken as an unknown option, it failed the
        // command. Tokens that spell no option are positional parameters instead; `--` still ends the options.
        commandLine.setUnmatchedOptionsArePositionalParams(true);
        return commandLine;
    }

    /** The version from the jar's manifest (the Maven project version). */
    public static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = LifespanCommand.class.getPackage().getImplementationVersion();
            return new String[] {"lifespan " + (version == null ? "(development build)" : version)};
        }
    }
}
