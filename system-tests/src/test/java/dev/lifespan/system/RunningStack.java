package dev.lifespan.system;

import dev.lifespan.api.v1.IssueTokensResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.EmbeddedServers;
import dev.lifespan.devstack.LocalStack;
import dev.lifespan.devstack.LocalStack.Service;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidatingNode;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * What every system test runs against: embedded PostgreSQL and Redis, the three packaged services as processes
 * ({@link LocalStack}), a plaintext gRPC channel to each, and validating nodes in this JVM made the one way every node
 * is made. Closing it stops all of it.
 */
final class RunningStack implements AutoCloseable {
    final EmbeddedServers servers;
    final LocalStack stack;
    private final Vertx vertx = Vertx.vertx();
    private final Map<Service, ManagedChannel> channels = new EnumMap<>(Service.class);
    private final List<ValidatingNode> nodes = new ArrayList<>();

    private RunningStack(EmbeddedServers servers, LocalStack stack) {
        this.servers = servers;
        this.stack = stack;
        for (Service service : Service.values()) {
            URI uri = URI.create(stack.baseUrl(service));
            channels.put(service, NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort()).usePlaintext().build());
        }
    }

    /**
     * Starts everything; the services' output goes to {@code system-tests/target/<logs>}.
     *
     * @param auditExtra system properties for the audit service (its anomaly rules)
     */
    static RunningStack start(String logs, Map<String, String> auditExtra) throws Exception {
        return start(logs, Map.of(), auditExtra);
    }

    /** As {@link #start(String, Map)}, with system properties for the issuer too. */
    static RunningStack start(String logs, Map<String, String> issuerExtra, Map<String, String> auditExtra) throws Exception {
        EmbeddedServers servers = EmbeddedServers.start();
        try {
            Path root = Path.of(System.getProperty("lifespan.root", "..")).toAbsolutePath().normalize();
            return new RunningStack(servers, LocalStack.start(servers, root, LocalStack.freePorts(),
                    root.resolve("system-tests/target/" + logs), issuerExtra, auditExtra));
        } catch (Exception | Error e) {
            servers.close();
            throw e;
        }
    }

    ManagedChannel channel(Service service) {
        return channels.get(service);
    }

    /** The first column of every row, as text, from {@code service}'s own database. */
    List<String> query(Service service, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(stack.jdbcUrl(service), servers.username(), servers.password());
                Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            while (rows.next()) {
                values.add(rows.getString(1));
            }
        }
        return values;
    }

    /** The {@code kid} of a JWT's header. */
    static String kidOf(String token) {
        return part(token, 0).getString("kid");
    }

    /** A string claim of a JWT (read, not verified). */
    static String claimOf(String token, String name) {
        return part(token, 1).getString(name);
    }

    private static JsonObject part(String token, int index) {
        return new JsonObject(new String(Base64.getUrlDecoder().decode(token.split("\\.")[index]), StandardCharsets.UTF_8));
    }

    /**
     * Waits until the issuer shows the session REVOKED to an operator ({@code ListSessions}), then presents its refresh
     * token once and returns the refusal (null if it was not refused). A refresh attempt in a wait loop would be reuse once
     * one got through, which ends the session for another reason.
     */
    static StatusRuntimeException refreshRefusedOnceRevoked(TokenIssuerGrpc.TokenIssuerBlockingStub operator, String subject,
            IssueTokensResponse login, Function<String, ?> refresh) {
        await().atMost(Duration.ofSeconds(10)).until(() -> session(operator, subject, login.getSessionId()).getState()
                == SessionState.SESSION_STATE_REVOKED);
        return catchThrowableOfType(StatusRuntimeException.class, () -> refresh.apply(login.getRefreshToken().getToken()));
    }

    /** One of the subject's sessions as {@code ListSessions} shows it, ended ones included. */
    static Session session(TokenIssuerGrpc.TokenIssuerBlockingStub operator, String subject, String sid) {
        return operator.listSessions(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(true).build())
                .getSessionsList().stream().filter(s -> s.getSessionId().equals(sid)).findFirst().orElseThrow();
    }

    /** {@code stub} sending {@code token} as its bearer credential. */
    static <S extends AbstractStub<S>> S as(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /**
     * A validating node with its own Redis connection, JWKS cache and revocation feed, in step and holding the issuer's
     * keys; closed with the stack.
     */
    TokenValidator node(Callable<String> jwks) throws Exception {
        ValidatingNode node = ValidatingNode.builder(stack.issuerUrl())
                .jwks(jwks, null)
                .revocationFeed(vertx, servers.redisUrl(), "lifespan:revocations", RevocationGrpc.newStub(channel(Service.REVOCATION)))
                .build();
        nodes.add(node);
        node.start(Duration.ofMillis(200)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        if (!node.jwks().orElseThrow().refresh()) {
            throw new IllegalStateException("the node could not fetch the issuer's JWKS");
        }
        return node.validator();
    }

    @Override
    public void close() throws Exception {
        nodes.forEach(ValidatingNode::close);
        channels.values().forEach(ManagedChannel::shutdownNow);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        stack.close();
        servers.close();
    }
}
