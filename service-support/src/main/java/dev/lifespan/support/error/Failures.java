package dev.lifespan.support.error;

import dev.lifespan.support.deadline.SilenceDeadline;
import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.http.ConnectionPoolTooBusyException;
import io.vertx.core.impl.NoStackTraceThrowable;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import io.vertx.pgclient.PgException;
import io.vertx.redis.client.impl.types.ErrorType;
import io.vertx.sqlclient.ClosedConnectionException;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;

/** Sorts unexpected failures into what the caller is told, by the failure's type (never by its message text). */
public final class Failures {

    private Failures() {
    }

    /**
     * The caller-facing form of any failure: a {@link ServiceException} as it is; a dependency (PostgreSQL, Redis)
     * that cannot be reached as UNAVAILABLE with a retry delay; anything else as a server error whose detail stays in
     * the log.
     */
    public static ServiceException classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ServiceException serviceException) {
                return serviceException;
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SilenceDeadline.Late late) {
                return ServiceException.unavailable(late.dependency(), failure);
            }
        }
        if (isDependencyDown(failure)) {
            return ServiceException.unavailable("a storage dependency (PostgreSQL or Redis)", failure);
        }
        return new ServiceException(ErrorKind.SERVER_ERROR, "internal error");
    }

    /** What the Redis client's failure says when a command is sent on a connection that has closed. */
    static final String REDIS_CONNECTION_CLOSED = "Connection is closed";

    /** True when the failure, or one of its causes, is a dependency that cannot be reached or is going away: an outage, not a bug. */
    public static boolean isDependencyDown(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof ClosedChannelException || t instanceof TimeoutException
                    || t instanceof ConnectTimeoutException || t instanceof NoStackTraceTimeoutException || t instanceof IOException
                    || t instanceof ClosedConnectionException || t instanceof ConnectionPoolTooBusyException) {
                return true;
            }
            if (t instanceof PgException pg && isServerGoingAway(pg.getSqlState())) {
                return true;
            }
            if (t instanceof ErrorType redis && (redis.is("LOADING") || redis.is("MASTERDOWN") || redis.is("TRYAGAIN"))) {
                return true;
            }
            // The one failure classified by its message: the Redis client refuses a command on a connection that has
            // closed with a bare NoStackTraceThrowable saying only this (vertx-redis-client's RedisStandaloneConnection).
            if (t instanceof NoStackTraceThrowable && REDIS_CONNECTION_CLOSED.equals(t.getMessage())) {
                return true;
            }
        }
        return false;
    }

    /**
     * SQLSTATE classes of a server that cannot serve now: 08 connection exception, 53 insufficient resources (too many
     * connections), 57P operator intervention (shutting down, cannot connect now).
     */
    static boolean isServerGoingAway(String sqlState) {
        return sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("53") || sqlState.startsWith("57P"));
    }
}
