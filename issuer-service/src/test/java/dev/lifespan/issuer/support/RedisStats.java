package dev.lifespan.issuer.support;

import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Redis;
import io.vertx.mutiny.redis.client.Request;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What Redis itself counts, for assertions on how often the issuer asked it. */
public final class RedisStats {
    private RedisStats() {
    }

    /** How many scripts (EVAL) Redis has run since it started, by its own {@code INFO commandstats}. */
    public static long evalCalls(Redis redis) {
        String stats = redis.send(Request.cmd(Command.INFO).arg("commandstats")).await().atMost(Duration.ofSeconds(10)).toString();
        Matcher calls = Pattern.compile("cmdstat_eval:calls=(\\d+)").matcher(stats);
        return calls.find() ? Long.parseLong(calls.group(1)) : 0;
    }
}
