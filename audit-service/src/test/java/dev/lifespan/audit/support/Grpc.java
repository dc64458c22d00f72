package dev.lifespan.audit.support;

import dev.lifespan.api.v1.AuditGrpc;
import dev.lifespan.api.v1.AuditEvent;
import dev.lifespan.api.v1.RecordRequest;
import dev.lifespan.api.v1.RecordResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.restassured.RestAssured;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** A plain gRPC client to the audit service under test, on the port Quarkus picked. */
public final class Grpc {
    private static final ConcurrentHashMap<Integer, ManagedChannel> CHANNELS = new ConcurrentHashMap<>();
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private Grpc() {
    }

    public static ManagedChannel channel() {
        return CHANNELS.computeIfAbsent(RestAssured.port, port -> ManagedChannelBuilder.forAddress("localhost", port).usePlaintext().build());
    }

    public static AuditGrpc.AuditBlockingStub audit() {
        return AuditGrpc.newBlockingStub(channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    public static AuditGrpc.AuditStub auditAsync() {
        return AuditGrpc.newStub(channel());
    }

    public static <S extends AbstractStub<S>> S bearer(S stub, String token) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    public static RecordResponse record(List<AuditEvent> events) {
        return audit().record(RecordRequest.newBuilder().addAllEvents(events).build());
    }
}
