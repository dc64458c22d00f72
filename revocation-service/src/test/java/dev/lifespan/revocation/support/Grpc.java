package dev.lifespan.revocation.support;

import com.google.rpc.ErrorInfo;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.TokenValidationGrpc;
import dev.lifespan.devstack.GrpcAssertions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.ConfigProvider;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/**
 * A plain gRPC client to the revocation service under test, on the port Quarkus picked.
 *
 * <p>{@link #revocation()} calls as an administrator: every call carries a fresh Lifespan service
 * token of client {@value #ADMIN_CLIENT} with scope {@code revocation:write}, signed with
 * {@link JwksTestResource}'s key. {@link #revocationAs} and {@link #revocationAnonymous} are for
 * tests about caller authentication itself. Every stub first waits, once per application start,
 * until the service is ready: its validator starts after start-up, and until then writes are refused.
 */
public final class Grpc {
    /** The audience the service expects on caller tokens (its default). */
    public static final String AUDIENCE = "lifespan";
    public static final String WRITE_SCOPE = "revocation:write";
    public static final String ADMIN_CLIENT = "revocation-admin";

    private static final ConcurrentHashMap<Integer, ManagedChannel> CHANNELS = new ConcurrentHashMap<>();
    /** Application starts already seen ready: port and signing key, since a later start may get the same port. */
    private static final Set<String> READY = ConcurrentHashMap.newKeySet();
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private Grpc() {
    }

    private static ManagedChannel channel() {
        return CHANNELS.computeIfAbsent(RestAssured.port, port -> ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
    }

    /**
     * Waits (once per application start) until the service is ready and its own validator's revocation feed is in step
     * (readiness detail), so that the write RPCs can check callers; or validation is off.
     */
    public static void awaitReady() {
        String start = RestAssured.port + " " + ConfigProvider.getConfig()
                .getOptionalValue(JwksTestResource.PRIVATE_KEY_PROPERTY, String.class).orElse("");
        if (READY.contains(start)) {
            return;
        }
        awaitInStep();
        READY.add(start);
    }

    /**
     * Waits until the service is ready and its own revocation feed is in step again (or validation is off): after
     * anything that left the feed stale, such as the test clock moved past the feed's last heartbeat, or a silent
     * PostgreSQL that let no heartbeat out.
     */
    public static void awaitInStep() {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .untilAsserted(() -> RestAssured.given().get(TestHTTPResourceManager.getManagementUri() + "/health/ready").then().statusCode(200)
                        .body("checks.find { it.name == 'revocation-feed' }.data.state", anyOf(equalTo("in step"), startsWith("off"))));
    }

    /** The test signing key ({@link JwksTestResource}); fails when the test class runs without it. */
    public static String signingKey() {
        return ConfigProvider.getConfig().getOptionalValue(JwksTestResource.PRIVATE_KEY_PROPERTY, String.class)
                .orElseThrow(() -> new IllegalStateException("no signing key: add @WithTestResource(JwksTestResource.class), "
                        + "or call Grpc.revocationAnonymous() where caller authentication is off"));
    }

    /** A fresh service token of {@value #ADMIN_CLIENT} with {@value #WRITE_SCOPE}, for {@value #AUDIENCE}. */
    public static String adminToken() {
        return Tokens.service(signingKey(), AUDIENCE, ADMIN_CLIENT, WRITE_SCOPE).compact();
    }

    /** Calls as an administrator (a {@code revocation:write} service token on every call). */
    public static RevocationGrpc.RevocationBlockingStub revocation() {
        return revocationAs(adminToken());
    }

    /** Calls with {@code Authorization: Bearer <token>}. */
    public static RevocationGrpc.RevocationBlockingStub revocationAs(String token) {
        return bearer(revocationAnonymous(), token);
    }

    /** Calls with {@code Authorization: Bearer <token>} at once, without waiting for the service to be ready. */
    public static RevocationGrpc.RevocationBlockingStub revocationAsNow(String token) {
        return bearer(revocationStub(), token);
    }

    /** Calls without any credentials. */
    public static RevocationGrpc.RevocationBlockingStub revocationAnonymous() {
        awaitReady();
        return revocationStub();
    }

    private static RevocationGrpc.RevocationBlockingStub revocationStub() {
        return RevocationGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public static TokenValidationGrpc.TokenValidationBlockingStub tokenValidation() {
        return TokenValidationGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** Calls as an administrator, asynchronously. */
    public static RevocationGrpc.RevocationFutureStub revocationAsync() {
        awaitReady();
        return bearer(RevocationGrpc.newFutureStub(channel()).withDeadlineAfter(60, TimeUnit.SECONDS), adminToken());
    }

    private static <S extends AbstractStub<S>> S bearer(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Runs a call expected to fail and returns its status, asserting the code. */
    public static StatusRuntimeException failure(Status.Code code, Runnable call) {
        return GrpcAssertions.failure(code, call);
    }

    /** The error reason and field carried in the status's ErrorInfo. */
    public static ErrorInfo errorInfo(StatusRuntimeException e) {
        return GrpcAssertions.errorInfo(e);
    }
}
