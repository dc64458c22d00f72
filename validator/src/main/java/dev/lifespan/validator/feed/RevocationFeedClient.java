package dev.lifespan.validator.feed;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.validator.revocation.RevocationFeed;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps a validating node's {@link RevocationFeed} in step with the revocation service, with no
 * network call on the validation path:
 *
 * <ol>
 *   <li>subscribes to the rule channel (protobuf {@code RevocationRule} bytes, each with its sequence)
 *       and its heartbeat channel ({@code <channel>:heartbeat}, the latest sequence in decimal);</li>
 *   <li>then loads {@code Revocation.Snapshot}; messages that arrive meanwhile wait in the feed;</li>
 *   <li>answers the feed's replay requests (a gap, a heartbeat ahead, a reconnect) with
 *       {@code Revocation.Since};</li>
 *   <li>on a lost Redis connection, reconnects with backoff and asks for a replay;</li>
 *   <li>on a connection that stays open but brings nothing (not even the heartbeat, published every second) for the
 *       feed's {@code max-staleness}, drops it and reconnects the same way: a half-open connection to a Redis node that
 *       died, or behind a network that dropped it, sends no end, and a subscriber never writes, so TCP alone would
 *       keep it for hours while the node fails closed.</li>
 * </ol>
 *
 * While Redis is away nothing is heard, so the feed goes stale after its {@code max-staleness} and
 * fails closed (or open, as configured) until the connection and a replay bring it back.
 */
public final class RevocationFeedClient implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RevocationFeedClient.class.getName());
    private static final long MAX_BACKOFF_MS = 2_000;

    private final Vertx vertx;
    private final RedisOptions redisOptions;
    private final String channel;
    private final String heartbeatChannel;
    private final RevocationGrpc.RevocationStub revocation;
    private final InstantSource clock;
    private final RevocationFeed feed;
    private final long silentAfterNanos;
    private volatile Subscription subscription;
    /** {@link System#nanoTime()} when the current connection last brought anything. */
    private volatile long lastHeard;
    /** Whether the current silence was logged (once per silence, not once per reconnect attempt). */
    private volatile boolean silenceLogged;
    private volatile long watchdog = -1;
    /** Whether a reconnect loop runs: a connection dropped while one runs is that loop's to replace. */
    private final AtomicBoolean reconnecting = new AtomicBoolean();
    /** Whether the latest replay failed (its failures are logged once per run). */
    private final AtomicBoolean replayFailing = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean snapshotLoaded;
    private volatile boolean subscribedOnce;

    /** A subscribed connection and the client that owns it (closed together, so no dropped socket lingers). */
    private record Subscription(Redis client, RedisConnection connection) {
        void close() {
            client.close();
        }
    }

    public RevocationFeedClient(Vertx vertx, String redisUrl, String channel, RevocationGrpc.RevocationStub revocation,
            RevocationFeed.Settings settings, RevocationFeed.StaleFeedAlert alert, InstantSource clock) {
        this(vertx, redisUrl, channel, revocation, settings, alert, RevocationFeed.RuleListener.NONE, clock);
    }

    /** @param listener told of every rule applied (metrics, key-set changes); must not block */
    public RevocationFeedClient(Vertx vertx, String redisUrl, String channel, RevocationGrpc.RevocationStub revocation,
            RevocationFeed.Settings settings, RevocationFeed.StaleFeedAlert alert, RevocationFeed.RuleListener listener,
            InstantSource clock) {
        this.vertx = vertx;
        this.redisOptions = new RedisOptions().setConnectionString(redisUrl);
        this.channel = channel;
        this.heartbeatChannel = channel + ":heartbeat";
        this.revocation = revocation;
        this.clock = clock;
        this.feed = new RevocationFeed(settings, this::replay, alert, listener);
        this.silentAfterNanos = settings.maxStaleness().toNanos();
    }

    /** The feed to hand to {@code TokenValidator} as its {@code RevocationCheck}. */
    public RevocationFeed feed() {
        return feed;
    }

    /** Subscribes, then loads the snapshot. Completes when the feed is in step. */
    public Future<Void> start() {
        return subscribe().compose(ignored -> snapshot());
    }

    private Future<Void> subscribe() {
        Redis client = Redis.createClient(vertx, redisOptions);
        return client.connect().compose(conn -> {
            Subscription current = new Subscription(client, conn);
            subscription = current;
            lastHeard = System.nanoTime();
            watchForSilence();
            conn.handler(this::onPush);
            conn.exceptionHandler(e -> LOG.log(Level.FINE, "Revocation feed connection failed: " + e.getMessage()));
            conn.endHandler(ignored -> onConnectionLost(current));
            return conn.send(Request.cmd(Command.SUBSCRIBE).arg(channel).arg(heartbeatChannel)).<Void>mapEmpty()
                    .onSuccess(ignored -> subscribedOnce = true);
        }).onFailure(ignored -> client.close());
    }

    /**
     * {@link #start()}, tried again every {@code retry} until the feed is in step or the client is
     * closed; for services that must come up while Redis or the revocation service is still away.
     * Once subscribed, the connection is the reconnect loop's: only the snapshot is tried again.
     * Until the future completes the feed is stale, so validation fails closed (or open, as set).
     */
    public Future<Void> startRetrying(Duration retry) {
        Promise<Void> inStep = Promise.promise();
        attempt(inStep, Math.max(1, retry.toMillis()));
        return inStep.future();
    }

    private void attempt(Promise<Void> inStep, long retryMs) {
        if (closed) {
            inStep.tryFail("revocation feed closed before it was in step");
            return;
        }
        Future<Void> step = snapshotLoaded ? Future.succeededFuture() : subscribedOnce ? snapshot() : start();
        step.onSuccess(ignored -> inStep.tryComplete()).onFailure(e -> {
            LOG.log(Level.FINE, "Revocation feed not in step yet (" + e.getMessage() + "); retrying");
            vertx.setTimer(retryMs, id -> attempt(inStep, retryMs));
        });
    }

    private void onPush(Response push) {
        lastHeard = System.nanoTime();
        if (push.size() < 3 || !"message".equals(push.get(0).toString())) {
            return;
        }
        silenceLogged = false;
        String from = push.get(1).toString();
        try {
            if (heartbeatChannel.equals(from)) {
                feed.heartbeat(Long.parseLong(push.get(2).toString().trim()), clock.instant());
            } else if (channel.equals(from)) {
                feed.onMessage(RevocationRule.parseFrom(push.get(2).toBytes()), clock.instant());
            }
        } catch (InvalidProtocolBufferException | NumberFormatException e) {
            LOG.warning("Ignoring an unreadable message on " + from + ": " + e.getMessage());
        }
    }

    private void onConnectionLost(Subscription lost) {
        if (subscription != lost) {
            return; // already dropped as silent, and replaced
        }
        subscription = null;
        lost.close();
        if (!closed && subscribedOnce) {
            LOG.warning("Revocation feed lost its Redis connection; reconnecting");
            startReconnecting();
        }
    }

    /** Starts the reconnect loop unless it runs; before the first subscription {@link #startRetrying} does this. */
    private void startReconnecting() {
        if (reconnecting.compareAndSet(false, true)) {
            reconnect(100);
        }
    }

    /** Checks a few times per {@code max-staleness} whether the connection went silent; one timer per client. */
    private void watchForSilence() {
        if (watchdog >= 0) {
            return;
        }
        long every = Math.max(50, silentAfterNanos / 4_000_000);
        watchdog = vertx.setPeriodic(every, id -> {
            Subscription current = subscription;
            if (closed || current == null || System.nanoTime() - lastHeard < silentAfterNanos) {
                return;
            }
            subscription = null;
            String message = "Revocation feed heard nothing on its Redis connection, not even a heartbeat, for "
                    + Duration.ofNanos(silentAfterNanos).toMillis() + " ms; dropping it and reconnecting";
            if (silenceLogged) {
                LOG.fine(message);
            } else {
                silenceLogged = true;
                LOG.warning(message + " (said once until messages arrive again)");
            }
            current.close();
            if (subscribedOnce) {
                startReconnecting();
            }
        });
    }

    private void reconnect(long delayMs) {
        vertx.setTimer(delayMs, id -> {
            if (closed) {
                reconnecting.set(false);
                return;
            }
            subscribe().onSuccess(ignored -> {
                reconnecting.set(false);
                // Quiet while a silence is being waited out (the revocation service down: no heartbeats, a reconnect each
                // max-staleness); the silence itself was logged once.
                LOG.log(silenceLogged ? Level.FINE : Level.INFO, "Revocation feed resubscribed");
                if (snapshotLoaded) {
                    feed.onReconnected(clock.instant());
                } else {
                    snapshot();
                }
            }).onFailure(e -> reconnect(Math.min(delayMs * 2, MAX_BACKOFF_MS)));
        });
    }

    private Future<Void> snapshot() {
        Promise<Void> done = Promise.promise();
        List<RevocationRule> rules = new ArrayList<>();
        revocation.snapshot(SnapshotRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(SnapshotResponse message) {
                if (message.getComplete()) {
                    feed.loadSnapshot(rules, message.getSequence(), clock.instant());
                    snapshotLoaded = true;
                } else {
                    rules.add(message.getRule());
                }
            }

            @Override
            public void onError(Throwable t) {
                done.tryFail(t);
            }

            @Override
            public void onCompleted() {
                if (snapshotLoaded) {
                    done.tryComplete();
                } else {
                    done.tryFail("snapshot ended without its final message");
                }
            }
        });
        return done.future();
    }

    /** The feed's replay requests: stream {@code Since} and hand the rules back in order. Never blocks. */
    private void replay(long afterSequence) {
        List<RevocationRule> rules = new ArrayList<>();
        revocation.since(SinceRequest.newBuilder().setAfterSequence(afterSequence).build(), new StreamObserver<>() {
            @Override
            public void onNext(SinceResponse message) {
                rules.add(message.getRule());
            }

            @Override
            public void onError(Throwable t) {
                // Once per run of failures: while the revocation service is down a replay is asked for at every
                // reconnect, and one line says as much as a line every few seconds.
                boolean first = replayFailing.compareAndSet(false, true);
                LOG.log(first ? Level.WARNING : Level.FINE, "Revocation replay after " + afterSequence + " failed: " + t.getMessage()
                        + (first ? " (further failures logged at FINE until a replay succeeds)" : ""));
                feed.onReplayFailed();
            }

            @Override
            public void onCompleted() {
                if (replayFailing.compareAndSet(true, false)) {
                    LOG.info("Revocation replay works again");
                }
                feed.onReplay(rules, clock.instant());
            }
        });
    }

    /** Drops expired rules; call every 30–60 s. */
    public int maintain() {
        return feed.maintain(clock.instant());
    }

    @Override
    public void close() {
        closed = true;
        if (watchdog >= 0) {
            vertx.cancelTimer(watchdog);
        }
        Subscription current = subscription;
        if (current != null) {
            current.close();
        }
    }

    /** Reconnect backoff ceiling, for documentation and tests. */
    public static Duration maxBackoff() {
        return Duration.ofMillis(MAX_BACKOFF_MS);
    }
}
