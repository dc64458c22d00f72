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
 * sequence of the last rule published.
 */
public final class RedisState {
    public static final String PREFIX = "lifespan:rev:";
    public static final String SEQUENCE_KEY = PREFIX + "seq";

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
