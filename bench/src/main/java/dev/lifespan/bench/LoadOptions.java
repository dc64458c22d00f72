package dev.lifespan.bench;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Command line of {@link LoadGenerator}. Every option takes a value ({@code --name value} or {@code --name=value}).
 *
 * @param host           host of the issuer (HTTP and gRPC share its port)
 * @param port           port of the issuer
 * @param grpcHost       host for gRPC calls (normally {@code host})
 * @param grpcPort       port for gRPC calls (normally {@code port}; differs if the issuer runs a separate gRPC server)
 * @param mode           what each caller does
 * @param concurrency    callers, each with one request in flight
 * @param warmup         load before measuring, discarded
 * @param duration       measured window
 * @param requestTimeout deadline of each call
 * @param clientId       OAuth2 client of the measured requests
 * @param clientSecret   its secret
 * @param subjectPrefix  caller {@code i} starts its session for subject {@code subjectPrefix + i}
 * @param scopes         scopes requested in {@code IssueTokens}
 * @param issueClientId  client whose service token (scope {@code tokens:issue}) authorises {@code IssueTokens};
 *                       null sends no {@code authorization} header
 * @param issueClientSecret its secret
 * @param grpcChannels   gRPC channels (HTTP/2 connections) the callers share round-robin
 * @param ioThreads      Netty event-loop threads running all callers (HTTP modes: one connection per caller)
 * @param grpcClient     how the measured gRPC calls are made
 * @param cpuPids        process trees whose CPU is charged to the server side
 * @param groupMetrics   the issuer's Prometheus scrape, read at the window's start and end for its group commit; or null
 * @param tsvOut         file the TSV result line is appended to (with a header when new), or null
 */
public record LoadOptions(
        String host,
        int port,
        String grpcHost,
        int grpcPort,
        LoadMode mode,
        int concurrency,
        Duration warmup,
        Duration duration,
        Duration requestTimeout,
        String clientId,
        String clientSecret,
        String subjectPrefix,
        List<String> scopes,
        String issueClientId,
        String issueClientSecret,
        int grpcChannels,
        int ioThreads,
        GrpcClient grpcClient,
        List<Integer> cpuPids,
        URI groupMetrics,
        String tsvOut) {

    /** Environment variable read when {@code --client-secret} is absent, to keep secrets out of {@code ps}. */
    public static final String CLIENT_SECRET_ENV = "BENCH_CLIENT_SECRET";
    /** Environment variable read when {@code --issue-client-secret} is absent. */
    public static final String ISSUE_CLIENT_SECRET_ENV = "BENCH_ISSUE_CLIENT_SECRET";

    static final String USAGE = String.join("\n",
            "usage: java -cp benchmarks.jar dev.lifespan.bench.LoadGenerator [options]",
            "  --target host:port           issuer (HTTP and gRPC on one port)   [127.0.0.1:8080]",
            "  --grpc-target host:port      gRPC calls go here instead            [--target]",
            "  --mode M                     " + LoadMode.labels() + "   [grpc-refresh]",
            "  --concurrency N              callers, one request in flight each    [16]",
            "  --warmup S                   seconds of load discarded              [10]",
            "  --duration S                 seconds measured                       [20]",
            "  --timeout S                  deadline of one call                   [10]",
            "  --client-id ID               client of the measured requests        [bench-app for refresh modes,",
            "                                                                       bench-svc for client-credentials]",
            "  --client-secret S            its secret                             [$" + CLIENT_SECRET_ENV + "]",
            "  --subject-prefix P           caller i's subject is P + i            [bench-user-]",
            "  --scopes a,b                 scopes asked for in IssueTokens        [openid,profile,api.read]",
            "  --issue-client-id ID         client_credentials client with scope tokens:issue whose token",
            "                               authorises IssueTokens; absent = no authorization header",
            "  --issue-client-secret S      its secret                             [$" + ISSUE_CLIENT_SECRET_ENV + "]",
            "  --grpc-channels N            gRPC connections shared by the callers [2]",
            "  --io-threads N               event-loop threads running the callers [1]",
            "  --grpc-client C              measured gRPC calls through: frames (Netty's HTTP/2 codec, as the",
            "                               HTTP modes use its HTTP/1.1 codec) or stub (grpc-java) [frames]",
            "  --cpu-pids p1,p2             server processes (with all their descendants) to charge CPU to",
            "  --group-metrics URL          the issuer's /q/metrics: its group commit over the window (groups/s,",
            "                               calls per group, share of the time a group was out)",
            "  --tsv-out FILE               append the TSV result line (header when the file is new)");

    public LoadOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(grpcClient, "grpcClient");
        requirePositive("--concurrency", concurrency);
        requirePositive("--grpc-channels", grpcChannels);
        requirePositive("--io-threads", ioThreads);
        if (port < 1 || port > 65535 || grpcPort < 1 || grpcPort > 65535) {
            throw new IllegalArgumentException("port out of range in --target or --grpc-target");
        }
        if (warmup.isNegative() || duration.isZero() || duration.isNegative() || requestTimeout.isZero()
                || requestTimeout.isNegative()) {
            throw new IllegalArgumentException("--warmup must be >= 0, --duration and --timeout > 0");
        }
        if (clientSecret == null || clientSecret.isEmpty()) {
            throw new IllegalArgumentException("--client-secret (or $" + CLIENT_SECRET_ENV + ") is required");
        }
        if (issueClientId != null && (issueClientSecret == null || issueClientSecret.isEmpty())) {
            throw new IllegalArgumentException(
                    "--issue-client-id needs --issue-client-secret (or $" + ISSUE_CLIENT_SECRET_ENV + ")");
        }
        scopes = List.copyOf(scopes);
        cpuPids = List.copyOf(cpuPids);
    }

    /** Parses {@code args}, taking secrets from {@code env} when not given on the command line. */
    public static LoadOptions parse(String[] args, Map<String, String> env) {
        String target = "127.0.0.1:8080";
        String grpcTarget = null;
        String modeLabel = "grpc-refresh";
        int concurrency = 16;
        long warmup = 10;
        long duration = 20;
        long timeout = 10;
        String clientId = null;
        String clientSecret = env.get(CLIENT_SECRET_ENV);
        String subjectPrefix = "bench-user-";
        List<String> scopes = List.of("openid", "profile", "api.read");
        String issueClientId = null;
        String issueClientSecret = env.get(ISSUE_CLIENT_SECRET_ENV);
        int grpcChannels = 2;
        int ioThreads = 1;
        GrpcClient grpcClient = GrpcClient.FRAMES;
        List<Integer> cpuPids = List.of();
        URI groupMetrics = null;
        String tsvOut = null;

        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
            }
            String name;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else {
                name = arg.substring(2);
                if (name.equals("help")) {
                    throw new IllegalArgumentException("help");
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--" + name + " needs a value");
                }
                value = args[++i];
            }
            switch (name) {
                case "target" -> target = value;
                case "grpc-target" -> grpcTarget = value;
                case "mode" -> modeLabel = value;
                case "concurrency" -> concurrency = parseInt(name, value);
                case "warmup" -> warmup = parseLong(name, value);
                case "duration" -> duration = parseLong(name, value);
                case "timeout" -> timeout = parseLong(name, value);
                case "client-id" -> clientId = value;
                case "client-secret" -> clientSecret = value;
                case "subject-prefix" -> subjectPrefix = value;
                case "scopes" -> scopes = splitList(value);
                case "issue-client-id" -> issueClientId = value.isEmpty() ? null : value;
                case "issue-client-secret" -> issueClientSecret = value;
                case "grpc-channels" -> grpcChannels = parseInt(name, value);
                case "io-threads" -> ioThreads = parseInt(name, value);
                case "grpc-client" -> grpcClient = GrpcClient.fromLabel(value);
                case "cpu-pids" -> cpuPids = splitList(value).stream().map(p -> parseInt(name, p)).toList();
                case "group-metrics" -> groupMetrics = httpUrl(name, value);
                case "tsv-out" -> tsvOut = value;
                default -> throw new IllegalArgumentException("unknown option --" + name);
            }
        }

        LoadMode mode = LoadMode.fromLabel(modeLabel);
        if (clientId == null) {
            clientId = mode.refreshChain() ? "bench-app" : "bench-svc";
        }
        URI uri = hostPort("--target", target);
        URI grpcUri = grpcTarget == null ? uri : hostPort("--grpc-target", grpcTarget);
        return new LoadOptions(uri.getHost(), uri.getPort(), grpcUri.getHost(), grpcUri.getPort(), mode, concurrency,
                Duration.ofSeconds(warmup), Duration.ofSeconds(duration), Duration.ofSeconds(timeout), clientId,
                clientSecret, subjectPrefix, scopes, issueClientId, issueClientSecret, grpcChannels, ioThreads, grpcClient,
                cpuPids, groupMetrics, tsvOut);
    }

    private static URI httpUrl(String name, String value) {
        try {
            URI uri = new URI(value);
            if ("http".equals(uri.getScheme()) && uri.getHost() != null) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // said below
        }
        throw new IllegalArgumentException("--" + name + " must be an http:// URL, got '" + value + "'");
    }

    /** Base URI of the issuer's HTTP endpoints. */
    public URI httpBase() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return URI.create("http://" + h + ":" + port);
    }

    private static URI hostPort(String option, String value) {
        URI uri;
        try {
            uri = URI.create("tcp://" + value);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getPort() < 0) {
            throw new IllegalArgumentException(option + " must be host:port, got '" + value + "'");
        }
        return uri;
    }

    private static List<String> splitList(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split("[,\\s]+")) {
            if (!item.isEmpty()) {
                items.add(item);
            }
        }
        return items;
    }

    private static int parseInt(String name, String value) {
        return Math.toIntExact(parseLong(name, value));
    }

    private static long parseLong(String name, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " expects a whole number, got '" + value + "'");
        }
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }

    @Override
    public String toString() {
        // never print the secrets
        return "LoadOptions[target=" + host + ":" + port + ", grpcTarget=" + grpcHost + ":" + grpcPort
                + ", mode=" + mode.label() + ", concurrency=" + concurrency
                + ", warmup=" + warmup.toSeconds() + "s, duration=" + duration.toSeconds() + "s, clientId=" + clientId
                + ", issueClientId=" + issueClientId + ", grpcClient=" + grpcClient.label() + ", cpuPids=" + cpuPids
                + "]";
    }

    /** The load generator's gRPC client for the measured calls (set-up calls always go through grpc-java's stubs). */
    public enum GrpcClient {
        /** {@link GrpcFrameConnection}: HTTP/2 frames written with Netty's codec, as the HTTP modes write HTTP/1.1. */
        FRAMES("frames"),
        /** grpc-java's channel and generated stubs, as a service calling the issuer would. */
        STUB("stub");

        private final String label;

        GrpcClient(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        static GrpcClient fromLabel(String label) {
            for (GrpcClient client : values()) {
                if (client.label.equals(label)) {
                    return client;
                }
            }
            throw new IllegalArgumentException("--grpc-client must be frames or stub, got '" + label + "'");
        }
    }
}
