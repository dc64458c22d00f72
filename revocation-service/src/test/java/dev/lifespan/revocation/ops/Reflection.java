package dev.lifespan.revocation.ops;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.restassured.RestAssured;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** What a standard gRPC tool (grpcurl, Postman) asks first: the services on the port, through server reflection. */
final class Reflection {
    private Reflection() {
    }

    /** The full names of the services the server lists; fails as the server answers (UNIMPLEMENTED when reflection is off). */
    static List<String> listServices() throws Exception {
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", RestAssured.port).usePlaintext().build();
        try {
            CompletableFuture<List<String>> services = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse response) {
                            services.complete(response.getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList());
                        }

                        @Override
                        public void onError(Throwable failure) {
                            services.completeExceptionally(failure);
                        }

                        @Override
                        public void onCompleted() {
                            services.completeExceptionally(new IllegalStateException("the server closed the stream without an answer"));
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
            try {
                return services.get(30, TimeUnit.SECONDS);
            } finally {
                requests.onCompleted();
            }
        } finally {
            channel.shutdownNow();
        }
    }
}
