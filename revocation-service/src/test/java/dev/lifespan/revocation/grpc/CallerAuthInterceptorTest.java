package dev.lifespan.revocation.grpc;

import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.support.FixedConfig;
import dev.lifespan.revocation.validation.ValidatorRuntime;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** The interceptor before the service's validator is in step, without Quarkus. */
class CallerAuthInterceptorTest {

    @Test
    void writeBeforeTheFeedIsInStepIsUnavailableWithARetryDelay() throws Exception {
        CallerAuthInterceptor interceptor = interceptor(true);
        for (MethodDescriptor<?, ?> write : new MethodDescriptor<?, ?>[] {RevocationGrpc.getRevokeMethod(),
                RevocationGrpc.getRevokeBatchMethod()}) {
            RecordingCall<?, ?> call = new RecordingCall<>(write);
            AtomicBoolean handled = new AtomicBoolean();

            intercept(interceptor, call, handled);

            assertThat(handled).as("the RPC must not run").isFalse();
            assertThat(call.status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(call.status.getDescription()).contains("caller authentication starting: revocation feed not in step");
            com.google.rpc.Status details = StatusProto.fromStatusAndTrailers(call.status, call.trailers);
            ErrorInfo info = details.getDetailsList().stream().filter(a -> a.is(ErrorInfo.class)).findFirst().orElseThrow()
                    .unpack(ErrorInfo.class);
            assertThat(info.getReason()).isEqualTo("temporarily_unavailable");
            assertThat(details.getDetailsList().stream().filter(a -> a.is(RetryInfo.class)).count()).isEqualTo(1);
        }
    }

    @Test
    void readsPassBeforeTheFeedIsInStep() {
        CallerAuthInterceptor interceptor = interceptor(true);
        for (MethodDescriptor<?, ?> read : new MethodDescriptor<?, ?>[] {RevocationGrpc.getCheckMethod(),
                RevocationGrpc.getSnapshotMethod(), RevocationGrpc.getSinceMethod()}) {
            RecordingCall<?, ?> call = new RecordingCall<>(read);
            AtomicBoolean handled = new AtomicBoolean();

            intercept(interceptor, call, handled);

            assertThat(handled).as(read.getFullMethodName()).isTrue();
            assertThat(call.status).isNull();
        }
    }

    @Test
    void disabledLetsWritesThroughWithoutAToken() {
        RecordingCall<?, ?> call = new RecordingCall<>(RevocationGrpc.getRevokeMethod());
        AtomicBoolean handled = new AtomicBoolean();

        intercept(interceptor(false), call, handled);

        assertThat(handled).isTrue();
        assertThat(call.status).isNull();
    }

    private static <Q, R> void intercept(CallerAuthInterceptor interceptor, RecordingCall<Q, R> call, AtomicBoolean handled) {
        ServerCallHandler<Q, R> next = (c, headers) -> {
            handled.set(true);
            return new ServerCall.Listener<>() { };
        };
        interceptor.interceptCall(call, new Metadata(), next);
    }

    /** Validation configured but never started: the runtime has no validator yet. */
    private static CallerAuthInterceptor interceptor(boolean enabled) {
        RevocationConfig config = new FixedConfig(enabled, true);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        return new CallerAuthInterceptor(new ValidatorRuntime(config, null, registry, InstantSource.system(), null), config, registry);
    }

    private static final class RecordingCall<Q, R> extends ServerCall<Q, R> {
        private final MethodDescriptor<Q, R> method;
        Status status;
        Metadata trailers;

        @SuppressWarnings("unchecked")
        RecordingCall(MethodDescriptor<?, ?> method) {
            this.method = (MethodDescriptor<Q, R>) method;
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(R message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
            this.status = status;
            this.trailers = trailers;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }
    }
}
