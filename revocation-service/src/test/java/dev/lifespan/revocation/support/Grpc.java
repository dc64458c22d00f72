package dev.lifespan.revocation.support;

import com.google.rpc.ErrorInfo;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.TokenValidationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.restassured.RestAssured;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A plain gRPC client to the revocation service under test, on the port Quarkus picked. */
public final class Grpc {
    private static final ConcurrentHashMap<Integer, ManagedChannel> CHANNELS = new ConcurrentHashMap<>();

    private Grpc() {
    }

    private static ManagedChannel channel() {
        return CHANNELS.computeIfAbsent(RestAssured.port, port -> ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
    }

    public static RevocationGrpc.RevocationBlockingStub revocation() {
        return RevocationGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public static TokenValidationGrpc.TokenValidationBlockingStub tokenValidation() {
        return TokenValidationGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    public static RevocationGrpc.RevocationFutureStub revocationAsync() {
        return RevocationGrpc.newFutureStub(channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    /** Runs a call expected to fail and returns its status, asserting the code. */
    public static StatusRuntimeException failure(Status.Code code, Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("expected the call to fail with " + code).isNotNull();
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
        return e;
    }

    /** The error reason and field carried in the status's ErrorInfo. */
    public static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status).isNotNull();
        return status.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst().map(a -> {
            try {
                return a.unpack(ErrorInfo.class);
            } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).orElseThrow();
    }
}
