package dev.lifespan.support.grpc;

import dev.lifespan.support.error.GrpcErrors;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.function.Supplier;

/**
 * How every gRPC endpoint method runs its body: input errors thrown while the request is checked, and
 * failures of the pipeline after, both become a status in the one error vocabulary ({@link GrpcErrors}).
 */
public final class GrpcCalls {
    private GrpcCalls() {
    }

    /** A unary call. */
    public static <T> Uni<T> call(Supplier<Uni<T>> body) {
        Uni<T> uni;
        try {
            uni = body.get();
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return uni.onFailure().transform(GrpcErrors::toStatus);
    }

    /** A server-streaming call. */
    public static <T> Multi<T> stream(Supplier<Multi<T>> body) {
        Multi<T> multi;
        try {
            multi = body.get();
        } catch (RuntimeException e) {
            return Multi.createFrom().failure(GrpcErrors.toStatus(e));
        }
        return multi.onFailure().transform(GrpcErrors::toStatus);
    }
}
