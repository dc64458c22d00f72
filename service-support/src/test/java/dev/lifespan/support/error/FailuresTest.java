package dev.lifespan.support.error;

import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.impl.types.ErrorType;
import io.vertx.sqlclient.ClosedConnectionException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

class FailuresTest {

    @Test
    void unreachableDependenciesAreOutagesWhereverTheyAreInTheCauseChain() {
        assertThat(Failures.classify(new ConnectException("Connection refused")).kind()).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(Failures.classify(new CompletionException(ClosedConnectionException.INSTANCE)).kind()).isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(Failures.classify(new PgException("terminating connection", "FATAL", "57P01", "admin shutdown")).kind())
                .isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(Failures.classify(ErrorType.create("LOADING Redis is loading the dataset in memory")).kind())
                .isEqualTo(ErrorKind.UNAVAILABLE);
        assertThat(Failures.classify(new ConnectException()).retryAfter()).isPositive();
    }

    @Test
    void bugsAreServerErrorsWhatEverTheirMessageSays() {
        // Classified by type: a bug whose message happens to read like an outage is still a bug.
        assertThat(Failures.classify(new IllegalStateException("Connection refused: closed, Timeout")).kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(Failures.classify(new PgException("duplicate key", "ERROR", "23505", "unique violation")).kind())
                .isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(Failures.classify(ErrorType.create("ERR unknown command")).kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        // The Redis client's closed-connection refusal is matched by its type and its whole message, nothing looser.
        assertThat(Failures.classify(new IllegalStateException(Failures.REDIS_CONNECTION_CLOSED)).kind()).isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(Failures.classify(new NoStackTraceThrowable("Connection is closed, and this is a bug")).kind())
                .isEqualTo(ErrorKind.SERVER_ERROR);
        assertThat(Failures.classify(new IllegalStateException("x")).getMessage()).as("no detail for the caller").isEqualTo("internal error");
    }

    @Test
    void aServiceExceptionIsAnsweredAsItIsEvenWhenWrapped() {
        ServiceException refusal = ServiceException.invalidField("subject", "is required");
        assertThat(Failures.classify(new CompletionException(refusal))).isSameAs(refusal);
    }
}
