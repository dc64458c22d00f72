package dev.lifespan.support.http;

import dev.lifespan.support.error.ServiceException;
import io.netty.channel.Channel;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Stream;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
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
    private static final ServiceException STOPPING =
            ServiceException.unavailable("this replica is stopping; send the call again, to another", Duration.ofSeconds(1));
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
            RouteRefusals.refuse(ctx, STOPPING);
            return;
        }
        if (!(ctx.request().connection() instanceof ConnectionBase base)) {
            ctx.next();
            return;
        }
        Open connection = open.get(base.channel());
        if (connection == null) {
            if (draining) {
                RouteRefusals.refuse(ctx, STOPPING);
                return;
            }
            Channel channel = base.channel();
            connection = new Open(channel, ctx.request().connection(), ctx.request().version() == HttpVersion.HTTP_2);
            open.put(channel, connection);
            channel.closeFuture().addListener(closed -> open.remove(channel));
            if (draining) {
                // The drain began between the check above and now, and may have missed this connection.
                connection.goAway();
            }
        }
        if (!connection.http2) {
            Open serving = connection;
            serving.requestBegun();
            ctx.addEndHandler(ended -> serving.requestEnded());
            if (draining) {
                ctx.response().putHeader("Connection", "close");
            }
        }
        ctx.next();
    }

    /** Runs late among this event's observers: the streams that never end by themselves have been ended by then. */
    void drain(@Observes @Priority(Integer.MAX_VALUE) ShutdownDelayInitiatedEvent event) {
        draining = true;
        LOG.infof("Stopping: answering the calls in flight on %d connections, starting no new ones", open.size());
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // Until a look finds nothing left to wait for: an HTTP/1.1 client may send one more request on a connection
            // that was idle, and a connection whose first request raced the start of the drain joins the map after it.
            List<CompletableFuture<Void>> waiting;
            while (!(waiting = open.values().stream().map(Open::goAway).filter(answered -> !answered.isDone()).toList()).isEmpty()) {
                CompletableFuture.allOf(waiting.toArray(CompletableFuture[]::new)).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            LOG.info("Stopping: every call in flight answered");
        } catch (TimeoutException e) {
            LOG.warnf("Stopping with calls unanswered after lifespan.shutdown.drain-timeout (%s)", timeout);
        } catch (ExecutionException e) {
            LOG.warnf("Stopping: the drain failed (%s)", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        drained = true;
        List<CompletableFuture<Void>> closed = open.values().stream().map(Open::close).toList();
        try {
            CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new)).get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            LOG.debugf("Stopping: a connection did not close within %s; the server closes it", CLOSE_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A connection of the API server, and where its drain stands. */
    private static final class Open {
        private final Channel channel;
        private final HttpConnection connection;
        private final boolean http2;
        /** HTTP/2: completed when no call can start on it any more and every call it started is answered, or it closed. */
        private final CompletableFuture<Void> answered = new CompletableFuture<>();
        /** Set by the first {@link #goAway}: the drain and a connection that raced its start may both ask. */
        private final AtomicBoolean told = new AtomicBoolean();
        /** Set, on its event loop, once the GOAWAY that names its last stream has gone out. */
        private boolean lastStreamNamed;
        /** HTTP/1.1: its request in flight, if any (0 or 1), and who waits for it to be answered. */
        private final AtomicInteger requests = new AtomicInteger();
        private volatile CompletableFuture<Void> requestAnswered;

        Open(Channel channel, HttpConnection connection, boolean http2) {
            this.channel = channel;
            this.connection = connection;
            this.http2 = http2;
            channel.closeFuture().addListener(closed -> {
                answered.complete(null);
                CompletableFuture<Void> waiting = requestAnswered;
                if (waiting != null) {
                    waiting.complete(null);
                }
            });
        }

        void requestBegun() {
            requests.incrementAndGet();
        }

        void requestEnded() {
            // Counted down first, read after: either this sees the drain's future, or the drain sees the zero.
            if (requests.decrementAndGet() == 0) {
                CompletableFuture<Void> waiting = requestAnswered;
                if (waiting != null) {
                    waiting.complete(null);
                }
            }
        }

        /**
         * HTTP/2, as RFC 9113 section 6.8 advises: a first GOAWAY naming no stream (so the client starts no new
         * calls here, and calls already on their way are still taken), then, once the client has answered a PING sent
         * behind it and so has read it, a second GOAWAY naming the last stream started. No call the client sent is
         * refused unstarted on the way, so none is sent again. All on the connection's event loop, where its streams
         * start and end. An HTTP/1.1 connection cannot be told in advance (its next answer says
         * {@code Connection: close}).
         *
         * @return when what it has in flight now is answered: for HTTP/2 every call it will take, for HTTP/1.1 the
         *         request it is serving (completed at once when it serves none)
         */
        CompletableFuture<Void> goAway() {
            if (!http2) {
                CompletableFuture<Void> waiting = new CompletableFuture<>();
                requestAnswered = waiting;
                if (requests.get() == 0 || !channel.isActive()) {
                    waiting.complete(null);
                }
                return waiting;
            }
            if (told.compareAndSet(false, true)) {
                channel.eventLoop().execute(this::sendGoAways);
            }
            return answered;
        }

        private void sendGoAways() {
            Http2ConnectionHandler handler = channel.pipeline().get(Http2ConnectionHandler.class);
            if (handler == null) {
                answered.complete(null);
                return;
            }
            handler.connection().addListener(new Http2ConnectionAdapter() {
                @Override
                public void onStreamClosed(Http2Stream stream) {
                    checkAnswered(handler);
                }
            });
            connection.goAway(0, Integer.MAX_VALUE, null);
            connection.ping(Buffer.buffer(new byte[8])).onComplete(pinged -> channel.eventLoop().execute(() -> nameLastStream(handler)));
            // A client that does not answer the PING is not waited for beyond this.
            channel.eventLoop().schedule(() -> nameLastStream(handler), PING_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The second GOAWAY, once. */
        private void nameLastStream(Http2ConnectionHandler handler) {
            if (!lastStreamNamed) {
                connection.goAway(0);
                lastStreamNamed = true;
                checkAnswered(handler);
            }
        }

        private void checkAnswered(Http2ConnectionHandler handler) {
            if (lastStreamNamed && handler.connection().numActiveStreams() == 0) {
                answered.complete(null);
            }
        }

        /**
         * Closes it from its own event loop, its last frames written first. An HTTP/1.1 connection still serving a
         * request is left to close after that answer ({@code Connection: close}); an idle one is closed, as the server
         * would close it a moment later anyway, and a request its client sends meanwhile is refused unread, which a
         * client may send again.
         *
         * @return when it is closed
         */
        CompletableFuture<Void> close() {
            CompletableFuture<Void> closed = new CompletableFuture<>();
            channel.closeFuture().addListener(done -> closed.complete(null));
            channel.eventLoop().execute(() -> {
                if (http2) {
                    connection.shutdown(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } else if (requests.get() == 0) {
                    connection.close();
                }
            });
            return closed;
        }
    }
}
