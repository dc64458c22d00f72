package dev.lifespan.issuer.support;

import com.google.rpc.ErrorInfo;
import dev.lifespan.api.v1.TokenIssuerGrpc;
import dev.lifespan.devstack.GrpcAssertions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.restassured.RestAssured;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A plain gRPC client to the issuer under test, on the port Quarkus picked, as an outside caller would use it. */
public final class Grpc {
    private static final ConcurrentHashMap<Integer, ManagedChannel> CHANNELS = new ConcurrentHashMap<>();

    private Grpc() {
    }

    /**
     * The issuer as a trusted internal service calls it: with a fresh service token of
     * {@link TestClients#SERVICE}, whose scopes cover every privileged RPC. Fresh per stub,
     * because tests move the issuer's clock forward.
     */
    public static TokenIssuerGrpc.TokenIssuerBlockingStub issuer() {
        return as(TestClients.SERVICE, TestClients.SERVICE_SECRET);
    }

    /** The issuer called with a service token of the given client. */
    public static TokenIssuerGrpc.TokenIssuerBlockingStub as(String clientId, String secret) {
        String token = serviceToken(clientId, secret);
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return anonymous().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** A fresh client-credentials token of the client. */
    public static String serviceToken(String clientId, String secret) {
        return RestAssured.given().auth().preemptive().basic(clientId, secret)
                .formParam("grant_type", "client_credentials").post("/oauth2/token")
                .then().statusCode(200).extract().path("access_token");
    }

    /** The issuer called with no caller credentials, as anyone on the network could. */
    public static TokenIssuerGrpc.TokenIssuerBlockingStub anonymous() {
        ManagedChannel channel = CHANNELS.computeIfAbsent(RestAssured.port,
                port -> ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
        return TokenIssuerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
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
