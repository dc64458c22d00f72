package dev.lifespan.cli;

import io.quarkus.test.junit.main.Launch;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code lifespan} binary as Quarkus builds it (command mode, its own {@code CommandLine} producer): help, a usage
 * error mapped by {@link Failures}, shell completion. No services needed; {@link OperatorCommandsTest} runs the
 * commands against the real stack.
 */
@QuarkusMainTest
class LifespanMainTest {

    @Test
    @Launch("--help")
    void helpListsEveryCommandAndTheExitStatuses(LaunchResult result) {
        assertThat(result.getOutput()).contains("sessions", "revoke", "keys", "audit", "alerts", "token", "status", "completion",
                // written to fit 80 columns: picocli wraps a longer line wherever it can, here mid-path
                "3   refused", "4   outage", "the addresses of ./run-local.sh.");
    }

    @Test
    @Launch(value = {"sessions", "list", "alice", "--issuer", "nowhere"}, exitCode = ExitCodes.USAGE)
    void aBadAddressIsAUsageErrorNamingTheFlag(LaunchResult result) {
        assertThat(result.getErrorOutput()).contains("--issuer: 'nowhere' is not HOST:PORT");
    }

    @Test
    @Launch(value = {"sessions", "end", "-sxSZjSeAp6_Q3Li431lNA", "--issuer", "nowhere"}, exitCode = ExitCodes.USAGE)
    void aSessionIdThatStartsWithADashIsTheSessionIdNotAnUnknownOption(LaunchResult result) {
        // Parsed as the SID, the command goes on to its next check: the address.
        assertThat(result.getErrorOutput()).doesNotContain("Unknown option").contains("--issuer: 'nowhere' is not HOST:PORT");
    }

    @Test
    void completionPrintsABashScriptForEveryCommand(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("completion");
        assertThat(result.exitCode()).isZero();
        assertThat(result.getOutput()).contains("complete -F", "sessions", "revoke", "--output");
    }
}
