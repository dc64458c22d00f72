package dev.lifespan.cli.connect;

import dev.lifespan.cli.CliException;
import dev.lifespan.cli.Environment;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.LifespanCommand;
import dev.lifespan.cli.input.TimeInput;
import dev.lifespan.support.grpc.ClientTls;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * Where the services are and who the command is, on every command that calls a service. Each setting is taken from
 * its flag, else its environment variable, else the config file, else the default that matches {@code ./run-local.sh}
 * ({@code LIFESPAN_PORT} 8080). The config file is {@code --config}, else {@code LIFESPAN_CONFIG}, else
 * {@code $XDG_CONFIG_HOME/lifespan/config.properties} or {@code ~/.config/lifespan/config.properties} when it exists.
 */
public final class ConnectionOptions {
    /** The operator client {@code ./run-local.sh} declares and prints. */
    public static final String DEFAULT_CLIENT = "lifespan-operator";

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--config", paramLabel = "FILE", description = "Config file (properties: client-id, client-secret, issuer-url, issuer,"
            + " revocation, audit, issuer-management, revocation-management, audit-management, tls-trust, tls-cert, tls-key, timeout)."
            + " Default: $LIFESPAN_CONFIG, else ~/.config/lifespan/config.properties if present.")
    Path config;

    @Option(names = "--client-id", paramLabel = "ID", description = "Operator client id ($LIFESPAN_CLIENT_ID, client-id; default " + DEFAULT_CLIENT + ").")
    String clientId;

    @Option(names = "--client-secret", paramLabel = "SECRET", arity = "0..1", interactive = true, prompt = "client secret: ", description = "Operator client secret."
            + " Discouraged on the command line (it shows in ps and shell history): prefer $LIFESPAN_CLIENT_SECRET or client-secret in the"
            + " config file (mode 600). Given without a value, it is read from the terminal without echo.")
    String clientSecret;

    @Option(names = "--issuer-url", paramLabel = "URL", description = "Issuer HTTP base URL, for its token endpoint ($LIFESPAN_ISSUER_URL; default http://localhost:8080).")
    String issuerUrl;

    @Option(names = "--issuer", paramLabel = "HOST:PORT", description = "Issuer gRPC address ($LIFESPAN_ISSUER; default localhost:8080).")
    String issuer;

    @Option(names = "--revocation", paramLabel = "HOST:PORT", description = "Revocation service gRPC address ($LIFESPAN_REVOCATION; default localhost:8081).")
    String revocation;

    @Option(names = "--audit", paramLabel = "HOST:PORT", description = "Audit service gRPC and REST address ($LIFESPAN_AUDIT; default localhost:8082).")
    String audit;

    @Option(names = "--issuer-management", paramLabel = "URL", description = "Issuer management URL, health and metrics ($LIFESPAN_ISSUER_MANAGEMENT; default http://localhost:8090).")
    String issuerManagement;

    @Option(names = "--revocation-management", paramLabel = "URL", description = "Revocation service management URL ($LIFESPAN_REVOCATION_MANAGEMENT; default http://localhost:8091).")
    String revocationManagement;

    @Option(names = "--audit-management", paramLabel = "URL", description = "Audit service management URL ($LIFESPAN_AUDIT_MANAGEMENT; default http://localhost:8092).")
    String auditManagement;

    @Option(names = "--tls-trust", paramLabel = "PEM", description = "CA certificates to trust: TLS to every service ($LIFESPAN_TLS_TRUST). Default plaintext.")
    String tlsTrust;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate for mutual TLS ($LIFESPAN_TLS_CERT); needs --tls-key.")
    String tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "PKCS#8 key of --tls-cert ($LIFESPAN_TLS_KEY).")
    String tlsKey;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Deadline of each call, e.g. 10s ($LIFESPAN_TIMEOUT; default 10s).")
    String timeout;

    /** The settings these options, the environment and the config file give; a bad value is refused naming where it came from. */
    public Settings settings() {
        Environment env = ((LifespanCommand) mixee.root().userObject()).environment();
        Source source = new Source(env, configFile(env));
        Map<Target, String> targets = new EnumMap<>(Target.class);
        targets.put(Target.ISSUER, hostPort(source.pick("--issuer", issuer, "LIFESPAN_ISSUER", "issuer", "localhost:8080")));
        targets.put(Target.REVOCATION, hostPort(source.pick("--revocation", revocation, "LIFESPAN_REVOCATION", "revocation", "localhost:8081")));
        targets.put(Target.AUDIT, hostPort(source.pick("--audit", audit, "LIFESPAN_AUDIT", "audit", "localhost:8082")));
        Map<Target, String> management = new EnumMap<>(Target.class);
        management.put(Target.ISSUER, url(source.pick("--issuer-management", issuerManagement, "LIFESPAN_ISSUER_MANAGEMENT", "issuer-management",
                "http://localhost:8090")));
        management.put(Target.REVOCATION, url(source.pick("--revocation-management", revocationManagement, "LIFESPAN_REVOCATION_MANAGEMENT",
                "revocation-management", "http://localhost:8091")));
        management.put(Target.AUDIT, url(source.pick("--audit-management", auditManagement, "LIFESPAN_AUDIT_MANAGEMENT", "audit-management",
                "http://localhost:8092")));
        Picked url = source.pick("--issuer-url", issuerUrl, "LIFESPAN_ISSUER_URL", "issuer-url", "http://localhost:8080");
        Picked id = source.pick("--client-id", clientId, "LIFESPAN_CLIENT_ID", "client-id", DEFAULT_CLIENT);
        if (id.value().isBlank() || id.value().length() > 128) {
            throw usage(id.from() + ": a client id is 1-128 characters");
        }
        Picked secret = source.pick("--client-secret", clientSecret, "LIFESPAN_CLIENT_SECRET", "client-secret", "");
        if (source.fromFile(secret)) {
            warnIfReadableByOthers(source.file.path());
        }
        ClientTls tls = new ClientTls(source.optional("--tls-trust", tlsTrust, "LIFESPAN_TLS_TRUST", "tls-trust"),
                source.optional("--tls-cert", tlsCert, "LIFESPAN_TLS_CERT", "tls-cert"),
                source.optional("--tls-key", tlsKey, "LIFESPAN_TLS_KEY", "tls-key"));
        var problems = tls.problems("tls");
        if (!problems.isEmpty()) {
            throw usage(String.join("; ", problems).replace("tls.trust-certificates", "--tls-trust").replace("tls.certificate", "--tls-cert")
                    .replace("tls.private-key", "--tls-key").replace("tls.", "--tls-"));
        }
        Picked deadline = source.pick("--timeout", timeout, "LIFESPAN_TIMEOUT", "timeout", "10s");
        Duration parsed = TimeInput.span(deadline.value());
        if (parsed == null || parsed.isZero() || parsed.isNegative()) {
            throw usage(deadline.from() + ": '" + deadline.value() + "' is not a positive duration such as 10s or 2m");
        }
        return new Settings(url(url).replaceAll("/+$", ""), Map.copyOf(targets), Map.copyOf(management), id.value(),
                Optional.of(secret.value()).filter(s -> !s.isEmpty()), secret.from(), tls, parsed);
    }

    /** The config file's settings; {@code path} null when there is none. */
    private record ConfigFile(Path path, Properties properties) {
        String name() {
            return path == null ? "(no config file)" : path.toString();
        }
    }

    private ConfigFile configFile(Environment env) {
        Path path;
        boolean required;
        if (config != null) {
            path = config;
            required = true;
        } else if (env.variable("LIFESPAN_CONFIG").isPresent()) {
            path = Path.of(env.variable("LIFESPAN_CONFIG").get());
            required = true;
        } else {
            path = env.variable("XDG_CONFIG_HOME").map(Path::of).orElse(env.home().resolve(".config")).resolve("lifespan/config.properties");
            required = false;
        }
        Properties properties = new Properties();
        if (!Files.exists(path)) {
            if (required) {
                throw usage((config != null ? "--config" : "LIFESPAN_CONFIG") + ": " + path + " does not exist");
            }
            return new ConfigFile(null, properties);
        }
        try (Reader reader = Files.newBufferedReader(path)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw usage((config != null ? "--config " : "config file ") + path + " cannot be read: " + e.getMessage());
        }
        return new ConfigFile(path, properties);
    }

    private void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                mixee.commandLine().getErr().println("lifespan: warning: " + file + " holds a client secret and others can read it (chmod 600 it)");
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // not a POSIX file system: nothing to check
        }
    }

    private static String hostPort(Picked picked) {
        String value = picked.value();
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw usage(picked.from() + ": '" + value + "' is not HOST:PORT");
        }
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw usage(picked.from() + ": port " + port + " is not between 1 and 65535");
            }
        } catch (NumberFormatException e) {
            throw usage(picked.from() + ": '" + value.substring(colon + 1) + "' is not a port number");
        }
        return value;
    }

    private static String url(Picked picked) {
        try {
            URI uri = URI.create(picked.value());
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw usage(picked.from() + ": '" + picked.value() + "' is not an http:// or https:// URL");
            }
        } catch (IllegalArgumentException e) {
            throw usage(picked.from() + ": '" + picked.value() + "' is not a URL");
        }
        return picked.value().replaceAll("/+$", "");
    }

    private static CliException usage(String message) {
        return new CliException(ExitCodes.USAGE, message);
    }

    /** A value and where it came from (a flag, a variable, a config key, the default), for messages. */
    private record Picked(String value, String from) {
    }

    /** Flags, then the environment, then the config file, then the default. */
    private record Source(Environment env, ConfigFile file) {

        Picked pick(String flag, String flagValue, String variable, String key, String fallback) {
            if (flagValue != null) {
                return new Picked(flagValue.strip(), flag);
            }
            Optional<String> fromEnv = env.variable(variable);
            if (fromEnv.isPresent()) {
                return new Picked(fromEnv.get().strip(), variable);
            }
            String fromFile = file.properties().getProperty(key);
            if (fromFile != null && !fromFile.isBlank()) {
                return new Picked(fromFile.strip(), key + " in " + file.name());
            }
            return new Picked(fallback, "the default " + flag);
        }

        boolean fromFile(Picked picked) {
            return file.path() != null && picked.from().endsWith(" in " + file.name());
        }

        Optional<String> optional(String flag, String flagValue, String variable, String key) {
            Picked picked = pick(flag, flagValue, variable, key, "");
            return Optional.of(picked.value()).filter(v -> !v.isEmpty());
        }
    }
}
