package dev.lifespan.revocation.support;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.lifespan.api.v1.RevocationRule;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A validating node's view of the feed, as a plain Redis subscriber: the rules published on the
 * revocation channel and the sequences published on its heartbeat channel, in arrival order.
 */
public final class ChannelListener implements AutoCloseable {
    private final Redis client;
    private final RedisConnection connection;
    private final List<RevocationRule> rules = new CopyOnWriteArrayList<>();
    private final List<Long> heartbeats = new CopyOnWriteArrayList<>();

    private ChannelListener(Redis client, RedisConnection connection) {
        this.client = client;
        this.connection = connection;
    }

    public static ChannelListener subscribe(Vertx vertx, String redisUrl, String channel) throws Exception {
        Redis client = Redis.createClient(vertx, new RedisOptions().setConnectionString(redisUrl));
        RedisConnection connection = client.connect().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        ChannelListener listener = new ChannelListener(client, connection);
        String heartbeat = channel + ":heartbeat";
        connection.handler(message -> listener.receive(message, channel, heartbeat));
        connection.send(Request.cmd(Command.SUBSCRIBE).arg(channel).arg(heartbeat))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        return listener;
    }

    private void receive(Response message, String channel, String heartbeat) {
        if (message == null || message.size() < 3 || !"message".equals(message.get(0).toString())) {
            return;
        }
        String from = message.get(1).toString();
        if (from.equals(channel)) {
            try {
                rules.add(RevocationRule.parseFrom(message.get(2).toBytes()));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("not a RevocationRule on " + channel, e);
            }
        } else if (from.equals(heartbeat)) {
            heartbeats.add(Long.parseLong(message.get(2).toString()));
        }
    }

    /** Rules received so far, in arrival order. */
    public List<RevocationRule> rules() {
        return List.copyOf(rules);
    }

    /** Heartbeat sequences received so far, in arrival order. */
    public List<Long> heartbeats() {
        return List.copyOf(heartbeats);
    }

    @Override
    public void close() {
        connection.close();
        client.close();
    }
}
