package dev.lifespan.support.error;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;

/** Sorts unexpected failures into what the caller is told. */
public final class Failures {

    private Failures() {
    }

    /**
     * The caller-facing form of any failure: an {@link ServiceException} as it is; a lost or
     * refused connection to PostgreSQL or Redis as UNAVAILABLE; anything else as a server error
     * whose detail stays in the log.
     */
    public static ServiceException classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ServiceException issuerException) {
                return issuerException;
            }
        }
        if (isDependencyDown(failure)) {
            return ServiceException.unavailable("a storage dependency (PostgreSQL or Redis)", failure);
        }
        return new ServiceException(ErrorKind.SERVER_ERROR, "internal error");
    }

    /** True when the failure is a dependency that cannot be reached, not a bug. */
    public static boolean isDependencyDown(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof ClosedChannelException || t instanceof TimeoutException
                    || t instanceof java.io.IOException) {
                return true;
            }
            String name = t.getClass().getName();
            if (name.equals("io.vertx.sqlclient.ClosedConnectionException")
                    || name.equals("io.vertx.core.http.ConnectionPoolTooBusyException")
                    || name.equals("io.netty.channel.ConnectTimeoutException")
                    || name.equals("io.vertx.core.impl.NoStackTraceTimeoutException")
                    || name.equals("io.vertx.redis.client.impl.types.ErrorType") && String.valueOf(t.getMessage()).startsWith("LOADING")) {
                return true;
            }
            String message = String.valueOf(t.getMessage());
            if (message.contains("Connection refused") || message.contains("Connection reset") || message.contains("closed")
                    || message.contains("Timeout")) {
                return true;
            }
        }
        return false;
    }
}
