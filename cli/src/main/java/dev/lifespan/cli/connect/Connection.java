package dev.lifespan.cli.connect;

import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.api.v1.TokenValidationGrpc;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.Failures;
import dev.lifespan.support.auth.BearerCallCredentials;
import dev.lifespan.support.auth.ClientCredentialsToken;
import io.grpc.ManagedChannel;

import java.net.http.HttpClient;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The command's connections for one run: a gRPC channel per service (opened when first used, through
 * {@link dev.lifespan.support.grpc.ClientTls}), an HTTP client for health and export, and the operator's service token,
 * obtained from the issuer's token endpoint with the client-credentials grant (shared {@link ClientCredentialsToken})
 * for exactly the scopes the command needs. The token never leaves this object but as a bearer header.
 */
public final class Connection implements AutoCloseable {
    /** The audience Lifespan's services expect of a caller's token. */
    static final String AUDIENCE = "lifespan";

    private final Settings settings;
    private final Map<Target, ManagedChannel> channels = new EnumMap<>(Target.class);
    private HttpClient http;
    private ClientCredentialsToken token;
    private String tokenScope;

    public Connection(Settings settings) {
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** The issuer, as the operator client with {@code scope} (space separated). */
    public TokenIssuerGrpc.TokenIssuerBlockingStub issuer(String scope) {
        return TokenIssuerGrpc.newBlockingStub(channel(Target.ISSUER)).withCallCredentials(credentials(scope));
    }

    /** The issuer's public RPCs (GetJwks): no token. */
    public TokenIssuerGrpc.TokenIssuerBlockingStub issuerPublic() {
        return TokenIssuerGrpc.newBlockingStub(channel(Target.ISSUER));
    }

    public RevocationGrpc.RevocationBlockingStub revocation(String scope) {
        return RevocationGrpc.newBlockingStub(channel(Target.REVOCATION)).withCallCredentials(credentials(scope));
    }

    /** The revocation service's open read RPCs (Check, Since): no token. */
    public RevocationGrpc.RevocationBlockingStub revocationPublic() {
        return RevocationGrpc.newBlockingStub(channel(Target.REVOCATION));
    }

    /** TokenValidation (served by the revocation service, open to anyone who reaches it). */
    public TokenValidationGrpc.TokenValidationBlockingStub validation() {
        return TokenValidationGrpc.newBlockingStub(channel(Target.REVOCATION));
    }

    public AuditGrpc.AuditBlockingStub audit(String scope) {
        return AuditGrpc.newBlockingStub(channel(Target.AUDIT)).withCallCredentials(credentials(scope));
    }

    /** {@code stub} with the configured deadline, for unary calls and bounded streams. */
    public <S extends io.grpc.stub.AbstractStub<S>> S withDeadline(S stub) {
        return stub.withDeadlineAfter(settings.timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A current bearer token for {@code scope}, obtained now: for HTTP calls, and so a refusal is reported as the token endpoint's. */
    public String bearer(String scope) {
        ClientCredentialsToken current = token(scope);
        try {
            return current.token().await().atMost(settings.timeout());
        } catch (RuntimeException e) {
            CliException failure = Failures.classify(e);
            throw new CliException(failure.exitCode(), "client " + settings.clientId() + " got no token from " + settings.issuerUrl()
                    + "/oauth2/token: " + failure.getMessage().replaceFirst("^token endpoint: ", ""), e);
        }
    }

    /**
     * Runs {@code call} against {@code target}, naming the service and its address when it fails, so that "UNAVAILABLE"
     * says which of the three is down.
     */
    public <T> T call(Target target, Supplier<T> call) {
        try {
            return call.get();
        } catch (CliException e) {
            throw e;
        } catch (RuntimeException e) {
            CliException failure = Failures.classify(e);
            throw new CliException(failure.exitCode(), target.title() + " at " + settings.grpcTarget(target) + ": " + failure.getMessage(), e);
        }
    }

    /** One HTTP client for the run (management ports, audit export). */
    public synchronized HttpClient http() {
        if (http == null) {
            HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(settings.timeout());
            settings.tls().sslContext().ifPresent(builder::sslContext);
            http = builder.build();
        }
        return http;
    }

    private BearerCallCredentials credentials(String scope) {
        bearer(scope); // obtained up front: a refused secret is a refusal, not an unreachable service
        return new BearerCallCredentials(token(scope));
    }

    private synchronized ClientCredentialsToken token(String scope) {
        String secret = settings.clientSecret().orElseThrow(() -> new CliException(ExitCodes.USAGE, "no client secret for " + settings.clientId()
                + ": set LIFESPAN_CLIENT_SECRET or client-secret in the config file (see lifespan --help)"));
        if (token == null || !scope.equals(tokenScope)) {
            token = new ClientCredentialsToken(new ClientCredentialsToken.Settings(settings.issuerUrl() + "/oauth2/token", settings.clientId(),
                    secret, scope, AUDIENCE, settings.timeout(), settings.tls()), InstantSource.system());
            tokenScope = scope;
        }
        return token;
    }

    private synchronized ManagedChannel channel(Target target) {
        return channels.computeIfAbsent(target, t -> settings.tls().open(settings.grpcTarget(t)));
    }

    @Override
    public synchronized void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
        for (ManagedChannel channel : channels.values()) {
            try {
                channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        channels.clear();
    }
}
