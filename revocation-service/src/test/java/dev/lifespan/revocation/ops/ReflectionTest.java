package dev.lifespan.revocation.ops;

import dev.lifespan.revocation.support.JwksTestResource;
import dev.lifespan.revocation.support.RevocationTestResource;
import io.grpc.Status;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * gRPC server reflection is off unless configured ({@code quarkus.grpc.server.enable-reflection-service}, a run-time
 * setting): an operator switches it on to use grpcurl against a running service without the .proto files.
 */
class ReflectionTest {

    @QuarkusTest
    @WithTestResource(RevocationTestResource.class)
    @WithTestResource(JwksTestResource.class)
    static class OffByDefault {
        @Test
        void aReflectionRequestIsUnimplemented() {
            ExecutionException refused = catchThrowableOfType(ExecutionException.class, Reflection::listServices);
            assertThat(Status.fromThrowable(refused.getCause()).getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
        }
    }

    @QuarkusTest
    @WithTestResource(RevocationTestResource.class)
    @TestProfile(SwitchedOn.Profile.class)
    static class SwitchedOn {
        /** Reflection on, as an operator would set QUARKUS_GRPC_SERVER_ENABLE_REFLECTION_SERVICE=true (caller tokens off: not the point). */
        public static class Profile implements QuarkusTestProfile {
            @Override
            public Map<String, String> getConfigOverrides() {
                return Map.of("quarkus.grpc.server.enable-reflection-service", "true", "lifespan.revocation.caller-auth.enabled", "false");
            }
        }

        @Test
        void theServicesAreListed() throws Exception {
            assertThat(Reflection.listServices()).contains("lifespan.v1.Revocation", "lifespan.v1.TokenValidation");
        }
    }
}
