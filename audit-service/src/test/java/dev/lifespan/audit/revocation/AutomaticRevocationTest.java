package dev.lifespan.audit.revocation;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Which failed revocations are worth another try later. */
class AutomaticRevocationTest {
    @Test
    void outagesAndRefusedCredentialsAreTriedAgainButARefusedRequestIsNot() {
        for (Status.Code code : new Status.Code[] {Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED,
                Status.Code.UNAUTHENTICATED, Status.Code.INTERNAL, Status.Code.UNKNOWN}) {
            assertThat(AutomaticRevocation.worthRetrying(code.toStatus().asRuntimeException())).as(code.name()).isTrue();
        }
        for (Status.Code code : new Status.Code[] {Status.Code.INVALID_ARGUMENT, Status.Code.PERMISSION_DENIED, Status.Code.FAILED_PRECONDITION,
                Status.Code.OUT_OF_RANGE, Status.Code.UNIMPLEMENTED}) {
            assertThat(AutomaticRevocation.worthRetrying(code.toStatus().asRuntimeException())).as(code.name()).isFalse();
        }
        assertThat(AutomaticRevocation.worthRetrying(new IOException("connection refused"))).as("the issuer's token endpoint away").isTrue();
    }
}
