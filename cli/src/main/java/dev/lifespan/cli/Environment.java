package dev.lifespan.cli;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What the command reads from outside its command line: environment variables and the home directory (for the config
 * file). Given to {@link LifespanCommand} so tests run the real commands with an environment of their own.
 */
public record Environment(Map<String, String> variables, Path home) {

    /** This process's environment and {@code user.home}. */
    public static Environment system() {
        return new Environment(System.getenv(), Path.of(System.getProperty("user.home", ".")));
    }

    /** A variable's value, unless unset or blank. */
    public Optional<String> variable(String name) {
        return Optional.ofNullable(variables.get(name)).filter(v -> !v.isBlank());
    }
}
