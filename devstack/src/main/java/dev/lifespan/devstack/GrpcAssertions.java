package dev.lifespan.devstack;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/** Assertions on gRPC errors in the shared vocabulary (status code plus {@code ErrorInfo}), for every service's tests. */
public final class GrpcAssertions {
    private GrpcAssertions() {
    }

    /** Runs a call expected to fail and returns its status, asserting the code. */
    public static StatusRuntimeException failure(Status.Code code, Runnable call) {
        StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
        assertThat(e).as("expected the call to fail with " + code).isNotNull();
        assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
        return e;
    }

    /**
     * The call's answer, the call made again while it fails with UNAVAILABLE, as a client that retries it would (a
     * service reconnecting after a failover, or refusing until it has recovered); any other failure fails the test.
     * The refusals' descriptions are printed.
     */
    public static <T> T retryingUnavailable(Supplier<T> call) {
        AtomicReference<T> answer = new AtomicReference<>();
        List<String> refusals = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).until(() -> {
            try {
                answer.set(call.get());
                return true;
            } catch (StatusRuntimeException e) {
                assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(Status.Code.UNAVAILABLE);
                refusals.add(e.getStatus().getDescription());
                return false;
            }
        });
        System.out.println("Refused UNAVAILABLE before the answer: " + refusals);
        return answer.get();
    }

    /** The error's {@code ErrorInfo}: its reason ({@code invalid_grant}, ...) and metadata (the field at fault). */
    public static ErrorInfo errorInfo(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        assertThat(status).isNotNull();
        return status.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst().map(a -> {
            try {
                return a.unpack(ErrorInfo.class);
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        }).orElseThrow();
    }

    /** The retry delay the error advises ({@code RetryInfo}), or empty when it carries none (retrying cannot help). */
    public static Optional<Duration> retryDelay(StatusRuntimeException e) {
        com.google.rpc.Status status = StatusProto.fromThrowable(e);
        if (status == null) {
            return Optional.empty();
        }
        return status.getDetailsList().stream().filter(a -> a.is(RetryInfo.class)).findFirst().map(a -> {
            try {
                com.google.protobuf.Duration d = a.unpack(RetryInfo.class).getRetryDelay();
                return Duration.ofSeconds(d.getSeconds(), d.getNanos());
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException(ex);
            }
        });
    }
}
