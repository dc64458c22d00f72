package dev.lifespan.issuer.session;

import dev.lifespan.api.v1.EventType;
import dev.lifespan.issuer.feed.SessionRule;
import dev.lifespan.issuer.outbox.PendingRevocations;
import dev.lifespan.support.audit.AuditOutbox;
import io.smallrye.mutiny.Uni;
import dev.lifespan.support.postgres.BoundedPostgres;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.lifespan.support.time.Clocks.utc;

/**
 * Sessions in PostgreSQL: starting one (with its first refresh token), ending one (with its whole refresh-token
 * family), ending those a revocation rule covers, finding and listing them. Each change is one SQL statement whose
 * data-modifying CTEs change the session, its family, the audit outbox and the revocation queue together: atomic,
 * one round trip, nothing half-made if the connection drops. Rotation of the family's tokens is {@link RefreshFamilyStore}'s.
 */
@Singleton
public class SessionStore {

    /** How a session ends, and what that writes. */
    public enum Ending {
        /** Ended by an operator, its user or its client (EndSession, RFC 7009): revoked everywhere. */
        REVOKED("REVOKED", EventType.SESSION_ENDED, false),
        /** A retired refresh token was presented again: theft, revoked everywhere. */
        REUSED("REVOKED", EventType.SESSION_ENDED, true),
        /** Found past its absolute end by a refresh. */
        EXPIRED("EXPIRED", EventType.SESSION_ENDED, false),
        /** Found idle past its timeout by a refresh. */
        IDLE("IDLE_EXPIRED", EventType.SESSION_IDLE_TIMEOUT, false);

        final String state;
        final EventType event;
        final boolean reuse;

        Ending(String state, EventType event, boolean reuse) {
            this.state = state;
            this.event = event;
            this.reuse = reuse;
        }
    }

    /**
     * $1 sid, $2 subject, $3 client, $4 profile, $5 device, $6 scopes, $7 audience, $8 roles, $9 acr, $10 amr,
     * $11 auth_time, $12 access TTL s, $13 idle timeout s, $14 grace s, $15 now, $16 absolute end,
     * $17 first refresh token's hash (NULL: none), $18 access token id, $19 source address.
     */
    private static final String CREATE = """
            WITH s AS (
                INSERT INTO session (sid, subject, client_id, profile, device_id, scopes, audience, roles, acr, amr, auth_time,
                                     access_ttl_seconds, idle_timeout_seconds, reuse_grace_seconds,
                                     created_at, last_activity_at, expires_at, state)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, 'ACTIVE')
                RETURNING *
            ), first_refresh_token AS (
                INSERT INTO refresh_token (token_hash, sid, client_id, issued_at)
                SELECT $17, sid, client_id, created_at FROM s WHERE $17::bytea IS NOT NULL
            ), events AS (
                %s
            )
            SELECT sid FROM s
            """.formatted(AuditOutbox.insertAll(
            AuditOutbox.event(EventType.SESSION_CREATED).at("created_at").subject("subject").session("sid").client("client_id")
                    .sourceIp("$19").attributes("jsonb_build_object('profile', profile)").from("s"),
            AuditOutbox.event(EventType.TOKEN_ISSUED).at("created_at").subject("subject").session("sid").client("client_id")
                    .token("$18").sourceIp("$19").attributes("jsonb_build_object('profile', profile, 'refresh', $17::bytea IS NOT NULL)")
                    .from("s")));

    /**
     * $1 now, $2 sid, $3 reason, and for a reuse $4 the REFRESH_TOKEN_REUSED event's attributes. Only an ACTIVE session ends; every live token of
     * its family is retired with it, and a revoked one is queued for the revocation service so every node learns.
     * ({@link #END_SUBJECT_PAGE}: $2 a subject instead, and $4 the page size.)
     */
    private static final String END = """
            WITH s AS (
                UPDATE session SET state = '%s', ended_at = $1, revoke_reason = $3
                WHERE %s AND state = 'ACTIVE'
                RETURNING *
            ), family AS (
                UPDATE refresh_token SET rotated_at = $1 WHERE sid IN (SELECT sid FROM s) AND rotated_at IS NULL
            ), queued AS (
                %s
            ), events AS (
                %s
            )
            SELECT %s FROM s
            """;

    /** What each scope of rule ends: the condition on session {@code x} and rule {@code r} in {@link #END_BY_RULES}. */
    private static final Map<SessionRule.Scope, String> RULE_CONDITIONS = Map.of(
            SessionRule.Scope.SESSION, "x.sid = r.value",
            SessionRule.Scope.SUBJECT, "x.subject = r.value AND x.created_at < r.cutoff",
            SessionRule.Scope.CLIENT, "x.client_id = r.value AND x.created_at < r.cutoff",
            SessionRule.Scope.GLOBAL, "x.created_at < r.cutoff");

    /**
     * Scopes whose sessions are ended a page at a time, in {@code sid} order: a CLIENT or GLOBAL rule may cover every
     * session there is, and one statement for all of them would outlast the silence deadline and be given up for ever.
     * SESSION and SUBJECT rules cover a few sessions each, found through an index, at most a batch of rules at once.
     */
    private static final Set<SessionRule.Scope> PAGED = EnumSet.of(SessionRule.Scope.CLIENT, SessionRule.Scope.GLOBAL);
    static final int RULE_PAGE = 1000;

    /**
     * $1 now, $2 the rules' values, $3 their cut-offs, $4 the reasons; paged: $5 the last sid of the page before, $6 the
     * page size. Every ACTIVE session a rule covers is revoked with its family retired and SESSION_ENDED written; nothing is
     * queued for the revocation service, where the rule already is. Answers how many ended, how many were found, and the
     * last sid found (where the next page starts).
     */
    private static final String END_BY_RULES = """
            WITH r AS (
                SELECT * FROM unnest($2::text[], $3::timestamptz[], $4::text[]) AS r (value, cutoff, reason)
            ), targets AS (
                SELECT DISTINCT ON (x.sid) x.sid, r.reason FROM session x JOIN r ON %s WHERE x.state = 'ACTIVE' %s
            ), s AS (
                UPDATE session x SET state = 'REVOKED', ended_at = $1, revoke_reason = t.reason
                FROM targets t WHERE x.sid = t.sid AND x.state = 'ACTIVE'
                RETURNING x.sid, x.subject, x.client_id, x.state, x.revoke_reason
            ), family AS (
                UPDATE refresh_token SET rotated_at = $1 WHERE sid IN (SELECT sid FROM s) AND rotated_at IS NULL
            ), events AS (
                %s
            )
            SELECT (SELECT count(*) FROM s) AS ended, (SELECT count(*) FROM targets) AS found, (SELECT max(sid) FROM targets) AS last
            """;

    private static final Map<SessionRule.Scope, String> ENDS_BY_RULES = new EnumMap<>(SessionRule.Scope.class);

    private static final String FIND = "SELECT " + SessionRow.columns("s") + " FROM session s WHERE s.sid = $1";

    /**
     * A subject's sessions, newest first ({@code created_at}, then {@code sid}, both descending, so a page boundary between
     * sessions begun in the same microsecond is exact): $1 subject, $2 limit, $3 now (the live ones only: every one when
     * NULL); paged, $4 and $5 the {@code created_at} and {@code sid} of the last session of the page before.
     */
    private static final String LIST = """
            SELECT %s FROM session s WHERE s.subject = $1 AND ($3::timestamptz IS NULL OR %s) %s
            ORDER BY s.created_at DESC, s.sid DESC LIMIT $2
            """;
    private static final String LIST_FIRST = LIST.formatted(SessionRow.columns("s"), SessionLiveness.liveSql("s", "$3"), "");
    private static final String LIST_AFTER = LIST.formatted(SessionRow.columns("s"), SessionLiveness.liveSql("s", "$3"),
            "AND (s.created_at, s.sid) < ($4, $5)");

    /** $1 now, $2 subject, $3 client, $4 source address, $5 what was required. */
    private static final String STEP_UP = AuditOutbox.event(EventType.STEP_UP_REQUIRED).at("$1").subject("$2").client("$3")
            .sourceIp("$4").attributes("jsonb_build_object('required', $5::text)").insert();

    private static final Map<Ending, String> ENDS = new EnumMap<>(Ending.class);

    /**
     * Up to $4 of the ACTIVE sessions of subject $2, ended as {@link Ending#REVOKED} ends one: a subject may have any number
     * of sessions, and one statement for all of them could outlast the silence deadline.
     */
    private static final String END_SUBJECT_PAGE;
    static final int SUBJECT_PAGE = 1000;

    static {
        for (Ending ending : Ending.values()) {
            ENDS.put(ending, end(ending, "sid = $2"));
        }
        END_SUBJECT_PAGE = end(Ending.REVOKED, "sid IN (SELECT sid FROM session WHERE subject = $2 AND state = 'ACTIVE' LIMIT $4)");
        String ended = AuditOutbox.insertAll(AuditOutbox.event(EventType.SESSION_ENDED).at("$1").subject("subject").session("sid")
                .client("client_id").attributes("jsonb_build_object('reason', revoke_reason, 'state', state)").from("s"));
        RULE_CONDITIONS.forEach((scope, condition) -> ENDS_BY_RULES.put(scope, END_BY_RULES.formatted(condition,
                PAGED.contains(scope) ? "AND x.sid > $5 ORDER BY x.sid LIMIT $6" : "", ended)));
    }

    /** {@link #END} for an ending, of the sessions {@code target} names. */
    private static String end(Ending ending, String target) {
        String queue = ending.state.equals("REVOKED")
                ? PendingRevocations.insert(PendingRevocations.kind(PendingRevocations.Kind.SESSION), "sid", "$3", "NULL", "$1", "s", null)
                : "SELECT 1";
        AuditOutbox.Event ended = AuditOutbox.event(ending.event).at("$1").subject("subject").session("sid").client("client_id")
                .attributes("jsonb_build_object('reason', $3::text, 'state', state)").from("s");
        String events = ending.reuse
                ? AuditOutbox.insertAll(AuditOutbox.event(EventType.REFRESH_TOKEN_REUSED).at("$1").subject("subject").session("sid")
                        .client("client_id").attributes("$4::text::jsonb").from("s"), ended)
                : AuditOutbox.insertAll(ended);
        return END.formatted(ending.state, target, queue, events, SessionRow.columns(""));
    }

    private final BoundedPostgres postgres;

    public SessionStore(BoundedPostgres postgres) {
        this.postgres = postgres;
    }

    /** Creates a session, its first refresh token (if any) and the SESSION_CREATED and TOKEN_ISSUED events. */
    public Uni<Void> create(NewSession s, byte[] refreshHash, String accessTokenId, String sourceIp) {
        return postgres.execute(CREATE, Tuple.from(Arrays.asList(s.sid(), s.subject(), s.clientId(), s.profile(), s.deviceId(),
                        String.join(" ", s.scopes()), String.join(" ", s.audience()), String.join(" ", s.roles()), s.acr(),
                        String.join(" ", s.amr()), utc(s.authTime()), (int) s.accessTtlSeconds(), (int) s.idleTimeoutSeconds(),
                        (int) s.reuseGraceSeconds(), utc(s.createdAt()), utc(s.expiresAt()), refreshHash, accessTokenId, sourceIp)))
                .replaceWithVoid();
    }

    /**
     * Ends an ACTIVE session and retires every live refresh token of its family, writing the ending's events (and
     * queueing a revoked session for the revocation service). Empty if it was not active.
     *
     * @param extraAttributes attributes of the REFRESH_TOKEN_REUSED event ({@link Ending#REUSED}), else ignored
     */
    public Uni<Optional<SessionRow>> end(String sid, Ending ending, String reason, Instant now, String extraAttributes) {
        Tuple parameters = ending.reuse ? Tuple.of(utc(now), sid, reason, extraAttributes == null ? "{}" : extraAttributes)
                : Tuple.of(utc(now), sid, reason);
        return postgres.execute(ENDS.get(ending), parameters).map(SessionStore::first);
    }

    /** Ends every ACTIVE session the rules of one scope cover (see {@link #END_BY_RULES}); the answer is how many. */
    public Uni<Long> endByRules(SessionRule.Scope scope, List<SessionRule> rules, Instant now) {
        String[] values = rules.stream().map(SessionRule::value).toArray(String[]::new);
        OffsetDateTime[] cutoffs = rules.stream().map(r -> r.cutoff() == null ? null : utc(r.cutoff())).toArray(OffsetDateTime[]::new);
        String[] reasons = rules.stream().map(SessionRule::reason).toArray(String[]::new);
        Tuple parameters = Tuple.of(utc(now), values, cutoffs, reasons);
        if (!PAGED.contains(scope)) {
            return postgres.execute(ENDS_BY_RULES.get(scope), parameters).map(rows -> rows.iterator().next().getLong("ended"));
        }
        return endPages(ENDS_BY_RULES.get(scope), parameters, "", 0);
    }

    private Uni<Long> endPages(String statement, Tuple rules, String after, long soFar) {
        Tuple page = Tuple.of(rules.getValue(0), rules.getValue(1), rules.getValue(2), rules.getValue(3), after, RULE_PAGE);
        return postgres.execute(statement, page).chain(rows -> {
            Row row = rows.iterator().next();
            long ended = soFar + row.getLong("ended");
            return row.getLong("found") < RULE_PAGE ? Uni.createFrom().item(ended)
                    : endPages(statement, rules, row.getString("last"), ended);
        });
    }

    /**
     * Ends up to {@code limit} ACTIVE sessions of a subject as {@link #end} ends one with {@link Ending#REVOKED}; the
     * answer is the sessions ended, none once none is left.
     */
    public Uni<List<SessionRow>> endPageOfSubject(String subject, String reason, Instant now, int limit) {
        return postgres.execute(END_SUBJECT_PAGE, Tuple.of(utc(now), subject, reason, limit)).map(SessionStore::rows);
    }

    /** One session, whatever its state. */
    public Uni<Optional<SessionRow>> find(String sid) {
        return postgres.execute(FIND, Tuple.of(sid)).map(SessionStore::first);
    }

    /** Where a page of a subject's sessions starts: after this session, in {@link #list}'s order. */
    public record After(Instant createdAt, String sid) {
    }

    /**
     * Up to {@code limit} of a subject's sessions, newest first: every one, or only the live ones ({@link SessionLiveness});
     * after {@code after} when it is not null.
     */
    public Uni<List<SessionRow>> list(String subject, boolean includeEnded, int limit, Instant now, After after) {
        OffsetDateTime live = includeEnded ? null : utc(now);
        Uni<RowSet<Row>> rows = after == null ? postgres.execute(LIST_FIRST, Tuple.of(subject, limit, live))
                : postgres.execute(LIST_AFTER, Tuple.from(Arrays.asList(subject, limit, live, utc(after.createdAt()), after.sid())));
        return rows.map(SessionStore::rows);
    }

    private static List<SessionRow> rows(RowSet<Row> set) {
        List<SessionRow> sessions = new ArrayList<>(set.size());
        set.forEach(row -> sessions.add(SessionRow.from(row)));
        return sessions;
    }

    /** Records STEP_UP_REQUIRED: a session was refused for want of a stronger or fresher authentication. */
    public Uni<Void> recordStepUp(String subject, String clientId, String sourceIp, String required, Instant now) {
        return postgres.execute(STEP_UP, Tuple.from(Arrays.asList(utc(now), subject, clientId, sourceIp, required)))
                .replaceWithVoid();
    }

    static Optional<SessionRow> first(RowSet<Row> rows) {
        return rows.size() == 0 ? Optional.empty() : Optional.of(SessionRow.from(rows.iterator().next()));
    }
}
