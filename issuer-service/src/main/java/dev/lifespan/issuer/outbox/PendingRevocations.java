package dev.lifespan.issuer.outbox;

import io.smallrye.mutiny.Uni;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.event.Event;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.Arrays;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * The one place that writes {@code pending_revocation}: the revocations the issuer decides (an ended session, a
 * reused refresh token, a compromised key, an RFC 7009 revocation), queued in the same statement or transaction
 * as the change that caused them and delivered to the revocation service by the relay, at least once. Stores
 * put {@link #insert} inside their statements; a revocation that changes nothing else is {@link #queue}d on its
 * own. Either way the caller then fires {@link RevocationsQueued}, so the relay delivers at once.
 */
@Singleton
public class PendingRevocations {
    /** What the issuer revokes: lifespan.v1.RuleKind without its prefix. */
    public enum Kind { TOKEN, SESSION, KEY }

    private static final String QUEUE = insert("$5", "$1", "$2", "$3", "$4", null, null);

    private final BoundedPostgres postgres;
    private final Event<RevocationsQueued> queued;

    public PendingRevocations(BoundedPostgres postgres, Event<RevocationsQueued> queued) {
        this.postgres = postgres;
        this.queued = queued;
    }

    /**
     * An {@code INSERT} of one pending revocation per row of {@code from} (or exactly one without it); every
     * argument is an SQL expression over that source, a parameter, or a literal ({@link #kind}).
     *
     * @param expiresAt when the rule can go ({@code NULL}: the revocation service's default for the kind)
     */
    public static String insert(String kind, String value, String reason, String expiresAt, String createdAt, String from, String where) {
        return "INSERT INTO pending_revocation (kind, value, reason, expires_at, created_at) SELECT " + kind + ", " + value + ", "
                + reason + ", " + expiresAt + ", " + createdAt + (from == null ? "" : " FROM " + from)
                + (where == null ? "" : " WHERE " + where);
    }

    /** The SQL literal of a kind, for {@link #insert}. */
    public static String kind(Kind kind) {
        return "'" + kind.name() + "'";
    }

    /** Queues one revocation that changes nothing else, then tells the relay. */
    public Uni<Void> queue(Kind kind, String value, String reason, Instant expiresAt, Instant now) {
        return postgres.execute(QUEUE, Tuple.from(Arrays.asList(value, reason, utc(expiresAt), utc(now), kind.name())))
                .invoke(ignored -> announce())
                .replaceWithVoid();
    }

    /** Tells the relay that revocations were queued (call after the statement that queued them committed). */
    public void announce() {
        queued.fire(RevocationsQueued.INSTANCE);
    }
}
