package dev.lifespan.revocation.publish;

import dev.lifespan.revocation.rule.Rule;

import java.util.Locale;

/**
 * The Redis keys the service maintains, for {@code Check}-style look-ups by nodes that want them.
 *
 * <p>{@code lifespan:rev:<kind>:<value>} (for GLOBAL just {@code lifespan:rev:global}) holds epoch
 * milliseconds: a token the key names is revoked when its {@code iat} in milliseconds is less
 * than that number. For SUBJECT, CLIENT and GLOBAL it is the latest not_before; for TOKEN,
 * SESSION and KEY it is the rule's expiry, which every covered token was issued before. The key
 * expires (PEXPIREAT) when the longest of its rules does. {@code lifespan:rev:seq} holds the
 * sequence of the last rule published. {@code lifespan:rev:recent} is a sorted set of the newest
 * {@link #RECENT_RULES} rules published, their protobuf bytes scored by sequence: what a log that came back
 * without them (a failover to a replica that had not received them, a restore from backup) is given again.
 */
public final class RedisState {
    public static final String PREFIX = "lifespan:rev:";
    public static final String SEQUENCE_KEY = PREFIX + "seq";
    public static final String RECENT_KEY = PREFIX + "recent";
    /**
     * How many of the newest published rules {@link #RECENT_KEY} keeps: far more than a failover loses (the commits
     * of its last seconds), at most a few MB (a rule's bytes are at most about 600).
     */
    public static final int RECENT_RULES = 10_000;

    private RedisState() {
    }

    public static String key(Rule rule) {
        String kind = Rule.name(rule.kind()).toLowerCase(Locale.ROOT);
        return rule.value().isEmpty() ? PREFIX + kind : PREFIX + kind + ":" + rule.value();
    }

    /** The milliseconds stored under {@link #key}: tokens issued before this are revoked. */
    public static long revokedBeforeMillis(Rule rule) {
        return rule.notBefore() != null ? rule.notBefore().toEpochMilli() : rule.expiresAt().toEpochMilli();
    }
}
