package dev.lifespan.support.error;

import com.google.rpc.ErrorInfo;
import dev.lifespan.devstack.GrpcAssertions;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcErrorsTest {

    @Test
    void badInputIsInvalidArgumentNamingTheFieldInASentenceWithoutRetryAdvice() {
        StatusRuntimeException e = GrpcErrors.toStatus(ServiceException.invalidField("subject", "is longer than 255 characters"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).isEqualTo("subject is longer than 255 characters");
        ErrorInfo info = GrpcAssertions.errorInfo(e);
        assertThat(info.getReason()).isEqualTo("invalid_request");
        assertThat(info.getDomain()).isEqualTo("lifespan.dev");
        assertThat(info.getMetadataMap()).containsEntry("field", "subject");
        assertThat(GrpcAssertions.retryDelay(e)).isEmpty();
    }

    @Test
    void onlyRateLimitsAndOutagesAdviseARetry() {
        StatusRuntimeException limited = GrpcErrors.toStatus(ServiceException.rateLimited(Duration.ofMillis(300)));
        assertThat(limited.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(GrpcAssertions.retryDelay(limited)).contains(Duration.ofSeconds(1));
        StatusRuntimeException down = GrpcErrors.toStatus(new ConnectException("refused"));
        assertThat(down.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcAssertions.retryDelay(down)).isPresent();
        assertThat(GrpcAssertions.retryDelay(GrpcErrors.toStatus(ServiceException.invalidGrant("refresh token is invalid")))).isEmpty();
    }

    @Test
    void aBugIsInternalNeverUnknownAndTellsTheCallerNothing() {
        StatusRuntimeException e = GrpcErrors.toStatus(new NullPointerException("secret detail"));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(e.getStatus().getDescription()).isEqualTo("internal error");
    }
}
