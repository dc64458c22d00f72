package dev.lifespan.cli.token;

/** {@code lifespan token}: what a token says, and whether Lifespan accepts it. */
@picocli.CommandLine.Command(name = "token", mixinStandardHelpOptions = true, description = "Inspect access tokens.",
        subcommands = InspectCommand.class)
public class TokenCommand {
}
