package dev.lifespan.support.http;

import dev.lifespan.support.error.ServiceException;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A service told to stop (SIGTERM: Kubernetes ending a pod in a rolling update, a scale-down, a node drain) answers
 * the calls it has started and starts no new ones before it stops, so no caller loses the answer to work that was done.
 *
 * <p>Why it matters: a refresh whose rotation committed but whose answer was lost leaves its caller holding a retired
 * refresh token, and presenting it again is reuse, which ends the session (CONTRACT section 2). Before this, one issuer
 * replica stopped while 64 callers refreshed on it ended up to 17 of their sessions.
 *
 * <p>When the stop begins ({@link ShutdownDelayInitiatedEvent}: {@code quarkus.shutdown.delay-enabled} in
 * service-support's defaults; no delay is set), before anything is stopped:
 * <ol>
 *   <li>Each HTTP/2 connection is sent two GOAWAYs, the second naming the last call it took ({@link Open#goAway}).</li>
 *   <li>A request on a connection opened after that is refused before any work: gRPC {@code UNAVAILABLE}, HTTP 503,
 *       both with a retry delay.</li>
 *   <li>A request on an HTTP/1.1 connection that was open before is answered, with {@code Connection: close}.</li>
 *   <li>The stop waits until no HTTP/2 stream is open and no HTTP/1.1 request is in flight, for at most
 *       {@code lifespan.shutdown.drain-timeout}; then it refuses any request, whatever its connection, and closes
 *       every connection itself.</li>
 * </ol>
 * Streams that never end by themselves end on the same event, ahead of this wait (the audit service's alert
 * watchers), or the stop would wait the whole timeout for them.
 *
 * <p>Measured and not kept: Quarkus's own graceful shutdown ({@code quarkus.shutdown.timeout}: it counts requests and
 * sends each connection one GOAWAY after its next answer) still lost sessions in two of six runs, and the stopping
 * replica saw refresh tokens it had just rotated presented again; one GOAWAY naming the last stream at once, with the
 * connection's open streams as the count, lost calls in about half the runs of the system test.
 *
 * <p>{@link ConnectionBase} is Vert.x's internal connection type (as in {@link GrpcResponseFlushes}); should an
 * upgrade move it, connections are not tracked and the system test of replicas stopped under load fails.
 */
@Singleton
public class ShutdownDrain {
    private static final Logger LOG = Logger.getLogger(ShutdownDrain.class);
    private static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    private static final Duration POLL = Duration.ofMillis(10);
    /** How long a client is given to answer the PING behind the first GOAWAY. */
    private static final Duration PING_WAIT = Duration.ofSeconds(1);
    /** How long closing an answered connection may take. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(1);

    /** How a stopping service drains ({@code lifespan.shutdown.*}), the same key in every service. */
    @ConfigMapping(prefix = "lifespan.shutdown")
    public interface DrainConfig {
        /**
         * The longest a stop waits for the requests in flight. Kubernetes gives a pod {@code terminationGracePeriodSeconds}
         * (30 in k8s/) from the start of its preStop sleep (5 s) to SIGKILL: 20 s fits inside what is left.
         */
        @WithDefault("20s")
        Duration drainTimeout();
    }

    private final Duration timeout;
    /** The API server's open connections, each until it closes. */
    private final Map<Channel, Open> open = new ConcurrentHashMap<>();
    /** HTTP/1.1 requests begun and not yet answered (an HTTP/2 connection's open streams are its calls in flight). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    /** Set once the calls in flight are answered: any request after that is refused, whatever its connection. */
    private volatile boolean drained;

    public ShutdownDrain(DrainConfig config) {
        this.timeout = config.drainTimeout();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(this::admit);
    }

    private void admit(RoutingContext ctx) {
        if (drained) {
            refuse(ctx);
            return;
        }
        if (ctx.request().connection() instanceof ConnectionBase base && !open.containsKey(base.channel())) {
            if (draining) {
                refuse(ctx);
                return;
            }
            Channel channel = base.channel();
            Open connection = new Open(channel, ctx.request().connection(), ctx.request().version() == HttpVersion.HTTP_2);
            open.put(channel, connection);
            channel.closeFuture().addListener(closed -> open.remove(channel));
            if (draining) {
                // The drain began between the check above and now, and may have missed this connection.
                connection.goAway();
            }
        }
        if (ctx.request().version() != HttpVersion.HTTP_2) {
            inFlight.incrementAndGet();
            ctx.addEndHandler(ended -> inFlight.decrementAndGet());
            if (draining) {
                ctx.response().putHeader("Connection", "close");
            }
        }
        ctx.next();
    }

    /** Runs late among this event's observers: the streams that never end by themselves have been ended by then. */
    void drain(@Observes @Priority(Integer.MAX_VALUE) ShutdownDelayInitiatedEvent event) {
        draining = true;
        open.values().forEach(Open::goAway);
        LOG.infof("Stopping: answering the calls in flight on %d connections, starting no new ones", open.size());
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (inFlight.get() > 0 || open.values().stream().anyMatch(Open::busy)) {
                if (System.nanoTime() > deadline) {
                    LOG.warnf("Stopping with calls unanswered after lifespan.shutdown.drain-timeout (%s)", timeout);
                    return;
                }
                Thread.sleep(POLL.toMillis());
            }
            LOG.info("Stopping: every call in flight answered");
            drained = true;
            open.values().forEach(Open::close);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void refuse(RoutingContext ctx) {
        ServiceException stopping = ServiceException.unavailable("this replica is stopping; send the call again, to another", RETRY_AFTER);
        if (GrpcRequests.isGrpc(ctx.request())) {
            // Trailers-only: the status in the one HEADERS frame that ends the stream.
            ctx.response().putHeader("content-type", "application/grpc");
            GrpcRequests.setStatus(ctx.response().headers(), stopping);
            ctx.response().end();
        } else {
            ctx.response().setStatusCode(stopping.kind().httpStatus())
                    .putHeader("Connection", "close")
                    .putHeader("Retry-After", Long.toString(RETRY_AFTER.toSeconds()))
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store")
                    .end("{\"error\":\"" + stopping.kind().oauthCode() + "\",\"error_description\":\"" + stopping.getMessage() + "\"}");
        }
    }

    /** A connection of the API server, and where its drain stands. */
    private static final class Open {
        private final Channel channel;
        private final HttpConnection connection;
        private final boolean http2;
        /** Set once the GOAWAY that names its last stream has gone out: no call can start on it after that. */
        private volatile boolean lastStreamNamed;

        Open(Channel channel, HttpConnection connection, boolean http2) {
            this.channel = channel;
            this.connection = connection;
            this.http2 = http2;
        }

        /**
         * HTTP/2, as RFC 9113 section 6.8 advises: a first GOAWAY naming no stream (so the client starts no new
         * calls here, and calls already on their way are still taken), then, once the client has answered a PING sent
         * behind it and so has read it, a second GOAWAY naming the last stream started. No call the client sent is
         * refused unstarted on the way, so none is sent again. Both from the connection's event loop, where its streams
         * start. An HTTP/1.1 connection cannot be told in advance; its next answer says {@code Connection: close}.
         */
        void goAway() {
            if (!http2) {
                return;
            }
            channel.eventLoop().execute(() -> {
                connection.goAway(0, Integer.MAX_VALUE, null);
                connection.ping(Buffer.buffer(new byte[8])).onComplete(pinged -> channel.eventLoop().execute(this::nameLastStream));
                // A client that does not answer the PING is not waited for beyond this.
                channel.eventLoop().schedule(this::nameLastStream, PING_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            });
        }

        /** The second GOAWAY, once (on the event loop). */
        private void nameLastStream() {
            if (!lastStreamNamed) {
                connection.goAway(0);
                lastStreamNamed = true;
            }
        }

        /** Whether a call may still start or is still unanswered on it (HTTP/1.1 requests are counted in flight). */
        boolean busy() {
            if (!http2 || !channel.isActive()) {
                return false;
            }
            if (!lastStreamNamed) {
                return true;
            }
            try {
                return channel.eventLoop().submit(() -> {
                    Http2ConnectionHandler handler = channel.pipeline().get(Http2ConnectionHandler.class);
                    return handler != null && handler.connection().numActiveStreams() > 0;
                }).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                return false;
            }
        }

        /**
         * Closes it from its own event loop, its last frames written first, and waits. An HTTP/1.1 connection has no
         * request in flight by now: it is closed idle, as the server would close it a moment later anyway; a request
         * its client sends meanwhile is refused unread, and a client may send it again.
         */
        void close() {
            if (!channel.isActive()) {
                return;
            }
            channel.eventLoop().execute(() -> {
                if (http2) {
                    connection.shutdown(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    connection.close();
                }
            });
            channel.closeFuture().awaitUninterruptibly(CLOSE_WAIT.toMillis());
        }
    }
}
