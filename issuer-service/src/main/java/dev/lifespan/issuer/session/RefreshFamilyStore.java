package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.support.audit.AuditOutbox;
import dev.lifespan.issuer.config.LifespanConfig;
import dev.lifespan.support.postgres.BoundedPostgres;
import dev.lifespan.support.postgres.GroupRows;
import dev.lifespan.support.postgres.StatementGroup;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.vertx.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * A session's refresh-token family in PostgreSQL: rotating a live token, or a retired one inside the grace
 * window, and looking one up.
 *
 * <p>A rotation retires the presented token, stores its successor, touches the session and writes TOKEN_REFRESHED,
 * all in one statement. Concurrent rotations are carried out together ({@link StatementGroup}: one statement and one
 * commit for all the rotations that arrived while others ran), each decided exactly as alone: a group never holds the
 * same token twice, a token it does not rotate changes nothing, and two groups lock tokens in the same order (a deadlock
 * PostgreSQL still finds, over two sibling tokens of one session, refuses the group whole, and each of its rotations is
 * sent again alone). Concurrent rotations of one token serialize on its row; the loser re-evaluates
 * {@code rotated_at IS NULL}, finds it false and changes nothing, so outside the grace window a token never has two
 * successors. Whether the session may be used is {@link SessionLiveness}'s SQL form, so it is decided exactly as
 * everywhere else.
 */
@Singleton
public class RefreshFamilyStore {

    /**
     * Each rotation of a group is an element of the arrays $1 now, $2 presented hash, $3 client, $4 device, $5 successor
     * hash, $6 access token id, $7 source address ({@link GroupRows}: $8 the group's size); $9 is the run-by on
     * PostgreSQL's clock ({@link BoundedPostgres#executeBefore}): a rotation that reaches PostgreSQL after the caller was
     * told to retry changes nothing, or the retry would count as reuse. One row per rotation carried out, numbered
     * {@code n} as in the arrays (from 1). Two live tokens of one session (grace siblings) rotated together touch the
     * session once, with the later time.
     */
    private static final String ROTATE = """
            WITH old AS (
                UPDATE refresh_token r SET rotated_at = i.at_time
                FROM %s, session s
                WHERE r.token_hash = i.presented AND r.rotated_at IS NULL AND r.client_id = i.presenter AND s.sid = r.sid
                  AND %s AND %s AND clock_timestamp() < $9
                RETURNING r.sid, i.*
            ), touched AS (
                UPDATE session s SET last_activity_at = o.at_time
                FROM (SELECT sid, max(at_time) AS at_time FROM old GROUP BY sid) o WHERE s.sid = o.sid
                RETURNING s.*
            ), successor AS (
                INSERT INTO refresh_token (token_hash, sid, client_id, issued_at, parent_hash)
                SELECT successor, sid, presenter, at_time, presented FROM old
            ), rotated AS (
                SELECT old.n, old.at_time, old.jti, old.source_ip, %s FROM old JOIN touched t ON t.sid = old.sid
            ), events AS (
                %s
            )
            SELECT n, %s FROM rotated
            """.formatted(GroupRows.from("i", 1, "at_time timestamptz", "presented bytea", "presenter text", "device text",
                    "successor bytea", "jti text", "source_ip text"),
            SessionLiveness.liveSql("s", "i.at_time"), SessionLiveness.deviceMatchesSql("s", "i.device"), SessionRow.columns("t"),
            refreshed("at_time", "jti", "source_ip", false, "rotated"),
            SessionRow.columns(""));

    /**
     * A retired token presented again inside the grace window: a sibling successor, nothing revoked. $1 now, $2 presented
     * hash, $3 client, $4 device, $5 successor hash, $6 access token id, $7 source address, $8 run-by, as for one
     * rotation of {@link #ROTATE}.
     */
    private static final String ROTATE_WITHIN_GRACE = """
            WITH old AS (
                SELECT r.sid FROM refresh_token r JOIN session s ON s.sid = r.sid
                WHERE r.token_hash = $2 AND r.rotated_at IS NOT NULL AND r.client_id = $3
                  AND %s AND %s AND %s AND clock_timestamp() < $8
                FOR UPDATE OF s
            ), touched AS (
                UPDATE session s SET last_activity_at = $1 FROM old WHERE s.sid = old.sid RETURNING s.*
            ), successor AS (
                INSERT INTO refresh_token (token_hash, sid, client_id, issued_at, parent_hash)
                SELECT $5, sid, $3, $1, $2 FROM touched
            ), events AS (
                %s
            )
            SELECT %s FROM touched
            """.formatted(SessionLiveness.withinGraceSql("r", "s", "$1"), SessionLiveness.liveSql("s", "$1"),
            SessionLiveness.deviceMatchesSql("s", "$4"),
            refreshed("$1", "$6", "$7", true, "touched"),
            SessionRow.columns(""));

    /** TOKEN_REFRESHED for each row of {@code source}, which has the session's columns. */
    private static String refreshed(String at, String accessTokenId, String sourceIp, boolean grace, String source) {
        return AuditOutbox.event(EventType.TOKEN_REFRESHED).at(at).subject("subject").session("sid").client("client_id")
                .token(accessTokenId).sourceIp(sourceIp).attributes("jsonb_build_object('profile', profile, 'grace', " + grace + ")")
                .from(source).insert();
    }

    private static final String INSPECT = """
            SELECT r.client_id AS token_client_id, r.rotated_at, %s
            FROM refresh_token r JOIN session s ON s.sid = r.sid
            WHERE r.token_hash = $1
            """.formatted(SessionRow.columns("s"));

    /** One rotation asked for: what {@link #ROTATE} takes per element. */
    private record Rotation(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId, Instant now,
            String accessTokenId, String sourceIp) {
    }

    /** Tokens in one order, so that groups running at once lock them in the same order. */
    private static final Comparator<Rotation> BY_TOKEN = (a, b) -> Arrays.compareUnsigned(a.presentedHash, b.presentedHash);

    private final BoundedPostgres postgres;
    private final StatementGroup<Rotation, Optional<SessionRow>> rotations;

    public RefreshFamilyStore(BoundedPostgres postgres, LifespanConfig config, MeterRegistry registry) {
        this.postgres = postgres;
        this.rotations = postgres.group(config.groupCommit().concurrentStatements(), config.groupCommit().groupSize(), BY_TOKEN,
                this::rotateTogether).meter(registry, "refresh_rotation");
    }

    /**
     * Rotates a live refresh token of a live session. Empty when nothing was rotated (unknown, retired, wrong client
     * or device, session ended, idle or expired): {@link #inspect} tells which.
     */
    public Uni<Optional<SessionRow>> rotate(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId, Instant now,
            String accessTokenId, String sourceIp) {
        Rotation rotation = new Rotation(presentedHash, successorHash, clientId, deviceId, now, accessTokenId, sourceIp);
        return postgres.queued(take -> rotations.submit(rotation, take));
    }

    private Uni<Void> rotateTogether(List<StatementGroup.Member<Rotation, Optional<SessionRow>>> group) {
        int size = group.size();
        OffsetDateTime[] now = new OffsetDateTime[size];
        Buffer[] presented = new Buffer[size];
        String[] client = new String[size];
        String[] device = new String[size];
        Buffer[] successor = new Buffer[size];
        String[] jti = new String[size];
        String[] sourceIp = new String[size];
        for (int i = 0; i < size; i++) {
            Rotation rotation = group.get(i).input();
            now[i] = utc(rotation.now());
            presented[i] = Buffer.buffer(rotation.presentedHash());
            client[i] = rotation.clientId();
            device[i] = rotation.deviceId();
            successor[i] = Buffer.buffer(rotation.successorHash());
            jti[i] = rotation.accessTokenId();
            sourceIp[i] = rotation.sourceIp();
        }
        return postgres.executeBeforeEach(ROTATE, GroupRows.parameters(now, presented, client, device, successor, jti, sourceIp)).invoke(answer -> {
            SessionRow[] rotated = new SessionRow[size];
            for (Row row : answer.rows()) {
                rotated[row.getLong("n").intValue() - 1] = SessionRow.from(row);
            }
            for (int i = 0; i < size; i++) {
                if (rotated[i] != null) {
                    group.get(i).answer(Optional.of(rotated[i]));
                } else if (answer.pastRunBy() != null) {
                    group.get(i).fail(answer.pastRunBy());
                } else {
                    group.get(i).answer(Optional.empty());
                }
            }
        }).replaceWithVoid();
    }

    /** Rotates a retired token presented again inside the grace window; empty if the window has closed or the session ended. */
    public Uni<Optional<SessionRow>> rotateWithinGrace(byte[] presentedHash, byte[] successorHash, String clientId, String deviceId,
            Instant now, String accessTokenId, String sourceIp) {
        return postgres.executeBefore(ROTATE_WITHIN_GRACE, Arrays.asList(utc(now), presentedHash, clientId, deviceId, successorHash,
                accessTokenId, sourceIp)).map(SessionStore::first);
    }

    /** The presented token's row and its session, or empty if no such token was ever issued. */
    public Uni<Optional<RefreshTokenState>> inspect(byte[] presentedHash) {
        return postgres.execute(INSPECT, Tuple.of(presentedHash)).map(rows -> {
            if (rows.size() == 0) {
                return Optional.empty();
            }
            Row row = rows.iterator().next();
            return Optional.of(new RefreshTokenState(row.getString("token_client_id"), SessionRow.instant(row, "rotated_at"),
                    SessionRow.from(row)));
        });
    }
}
