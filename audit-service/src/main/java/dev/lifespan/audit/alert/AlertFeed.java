package dev.lifespan.audit.alert;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.redis.BoundedRedis;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.RedisConnection;
import io.vertx.mutiny.redis.client.Request;
import io.vertx.mutiny.redis.client.Response;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Delivers alerts to this replica's {@code WatchAlerts} watchers, whichever replica raised them: every replica
 * publishes the alerts it raises on a Redis pub/sub channel and listens on it, and also reads new alerts from
 * PostgreSQL every {@code alerts.poll-interval}, so an alert whose message was lost (Redis away, a reconnect) still
 * arrives, a little later. Each watcher gets each alert once (it remembers the ids it was sent).
 */
@Singleton
public class AlertFeed {
    private static final Logger LOG = Logger.getLogger(AlertFeed.class);
    private static final int PAGE = 500;
    private static final int REMEMBERED = 10_000;

    private final Redis redis;
    private final BoundedRedis publisher;
    private final Vertx vertx;
    private final AlertStore store;
    private final String channel;
    private final List<Watcher> watchers = new CopyOnWriteArrayList<>();
    private volatile RedisConnection subscription;
    private volatile boolean stopped;
    private volatile long lastPolled = -1;

    public AlertFeed(Redis redis, BoundedRedis publisher, Vertx vertx, AlertStore store, AuditConfig config) {
        this.redis = redis;
        this.publisher = publisher;
        this.vertx = vertx;
        this.store = store;
        this.channel = config.alerts().channel();
    }

    void onStart(@Observes StartupEvent event) {
        subscribe(0);
    }

    /**
     * When the service is told to stop, every watcher's stream ends with {@code UNAVAILABLE}: a watcher reconnects
     * (to another replica, from the last alert id it got), and the drain of calls in flight
     * ({@code ShutdownDrain}) need not wait its whole timeout for streams that never end by themselves.
     */
    void onStopping(@Observes ShutdownDelayInitiatedEvent event) {
        ServiceException stopping = ServiceException.unavailable(
                "the audit service replica is stopping; watch again, with after_alert_id set to the last alert received", Duration.ofSeconds(1));
        watchers.forEach(watcher -> watcher.fail(stopping));
    }

    void onStop(@Observes ShutdownEvent event) {
        stopped = true;
        RedisConnection connection = subscription;
        if (connection != null) {
            connection.closeAndForget();
        }
    }

    /** Publishes an alert this replica raised to every replica's watchers (this one's included). */
    public Uni<Void> publish(Alert alert) {
        return publisher.send(Request.cmd(Command.PUBLISH).arg(channel).arg(Buffer.buffer(alert.toByteArray()))).replaceWithVoid();
    }

    /**
     * Alerts matching {@code filter}: those stored after {@code afterId} first (when it is 0 or more), then new ones as
     * they are raised, until the caller cancels.
     */
    public Multi<Alert> watch(Predicate<Alert> filter, long afterId) {
        return Multi.createFrom().emitter(emitter -> {
            Watcher watcher = new Watcher(emitter, filter, afterId >= 0);
            watchers.add(watcher);
            emitter.onTermination(() -> watchers.remove(watcher));
            if (afterId >= 0) {
                replay(watcher, afterId);
            }
        });
    }

    /** How many watchers this replica serves. */
    public int watcherCount() {
        return watchers.size();
    }

    private void replay(Watcher watcher, long afterId) {
        store.after(afterId, PAGE).subscribe().with(page -> {
            page.forEach(watcher::sendStored);
            if (page.size() == PAGE) {
                replay(watcher, Long.parseLong(page.get(page.size() - 1).getAlertId()));
            } else {
                watcher.replayed();
            }
        }, watcher::fail);
    }

    @Scheduled(every = "${lifespan.audit.alerts.poll-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> poll() {
        if (lastPolled < 0) {
            return store.latestId().invoke(latest -> lastPolled = latest).replaceWithVoid()
                    .onFailure().recoverWithNull().replaceWithVoid();
        }
        return store.after(lastPolled, PAGE).invoke(alerts -> {
            for (Alert alert : alerts) {
                lastPolled = Math.max(lastPolled, Long.parseLong(alert.getAlertId()));
                dispatch(alert);
            }
        }).onFailure().recoverWithNull().replaceWithVoid();
    }

    private void dispatch(Alert alert) {
        for (Watcher watcher : watchers) {
            watcher.deliver(alert);
        }
    }

    private void subscribe(long delayMs) {
        if (stopped) {
            return;
        }
        vertx.setTimer(Math.max(1, delayMs), id -> redis.connect().subscribe().with(connection -> {
            subscription = connection;
            connection.handler(this::onPush);
            connection.exceptionHandler(e -> LOG.debugf("Alert subscription failed: %s", e.getMessage()));
            connection.endHandler(() -> {
                subscription = null;
                if (!stopped) {
                    LOG.warn("Alert subscription lost its Redis connection; reconnecting (alerts still arrive by polling meanwhile)");
                    subscribe(500);
                }
            });
            connection.send(Request.cmd(Command.SUBSCRIBE).arg(channel)).subscribe().with(ignored -> { }, e -> {
                connection.closeAndForget();
            });
        }, e -> {
            LOG.debugf("Alert subscription not connected (%s); retrying", e.getMessage());
            subscribe(Math.min(5_000, Math.max(250, delayMs * 2)));
        }));
    }

    private void onPush(Response push) {
        if (push.size() < 3 || !"message".equals(push.get(0).toString()) || !channel.equals(push.get(1).toString())) {
            return;
        }
        try {
            dispatch(Alert.parseFrom(push.get(2).toBytes()));
        } catch (InvalidProtocolBufferException e) {
            LOG.warnf("Ignoring an unreadable message on %s", channel);
        }
    }

    /** One WatchAlerts stream: delivers each alert id once; holds live alerts back while replaying stored ones. */
    private static final class Watcher {
        private final MultiEmitter<? super Alert> emitter;
        private final Predicate<Alert> filter;
        private final Set<String> sent = new LinkedHashSet<>();
        private List<Alert> held;

        Watcher(MultiEmitter<? super Alert> emitter, Predicate<Alert> filter, boolean replaying) {
            this.emitter = emitter;
            this.filter = filter;
            this.held = replaying ? new java.util.ArrayList<>() : null;
        }

        synchronized void deliver(Alert alert) {
            if (held != null) {
                held.add(alert);
                return;
            }
            send(alert);
        }

        /** A stored alert during replay: sent at once, ahead of live ones held meanwhile. */
        synchronized void sendStored(Alert alert) {
            send(alert);
        }

        private void send(Alert alert) {
            if (!sent.add(alert.getAlertId())) {
                return;
            }
            if (sent.size() > REMEMBERED) {
                sent.remove(sent.iterator().next());
            }
            if (filter.test(alert) && !emitter.isCancelled()) {
                emitter.emit(alert);
            }
        }

        /** Replayed alerts are sent first (in id order), then what arrived live meanwhile. */
        synchronized void replayed() {
            List<Alert> live = held;
            held = null;
            if (live != null) {
                live.forEach(this::send);
            }
        }

        synchronized void fail(Throwable failure) {
            emitter.fail(failure);
        }
    }
}
