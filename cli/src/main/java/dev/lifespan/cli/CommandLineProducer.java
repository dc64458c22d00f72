package dev.lifespan.cli;

import io.quarkus.picocli.runtime.PicocliCommandLineFactory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import picocli.CommandLine;

/** Quarkus's {@code CommandLine} for the binary, configured as the tests configure theirs ({@link LifespanCommand#configure}). */
@ApplicationScoped
public class CommandLineProducer {

    @Produces
    CommandLine commandLine(PicocliCommandLineFactory factory) {
        return LifespanCommand.configure(factory.create());
    }
}
