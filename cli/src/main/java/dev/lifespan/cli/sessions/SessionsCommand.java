package dev.lifespan.cli.sessions;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.EndSubjectSessionsRequest;
import dev.lifespan.api.v1.EndSubjectSessionsResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.ListSessionsResponse;
import dev.lifespan.api.v1.Session;
import dev.lifespan.api.v1.SessionState;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Table;
import dev.lifespan.cli.output.Times;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code lifespan sessions}: a subject's sessions, and ending them (TokenIssuer.ListSessions / EndSession). */
@Command(name = "sessions", mixinStandardHelpOptions = true, description = "List and end sessions.",
        subcommands = {SessionsCommand.ListSessions.class, SessionsCommand.EndSessions.class})
public class SessionsCommand {
    static final int MAX_SUBJECT = 255;
    static final int MAX_REASON = 256;

    /** {@code sessions list SUBJECT}. */
    @Command(name = "list", mixinStandardHelpOptions = true, description = "List a subject's sessions, newest first (scope sessions:read).")
    public static class ListSessions implements Runnable {
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @Parameters(paramLabel = "SUBJECT", description = "The user (sub) whose sessions to list.")
        String subject;

        @Option(names = {"-a", "--all"}, description = "Include ended sessions (revoked, idle or expired).")
        boolean all;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most N sessions, 1-500 (default ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--page-token", paramLabel = "TOKEN", description = "The page after the one that printed this token.")
        String pageToken;

        @Override
        public void run() {
            requireSubject(subject, "SUBJECT");
            if (limit < 1 || limit > 500) {
                throw new CliException(ExitCodes.USAGE, "--limit: " + limit + " is not between 1 and 500");
            }
            try (Connection c = new Connection(connection.settings())) {
                if (pageToken != null && (pageToken.isBlank() || pageToken.length() > 128)) {
                    throw new CliException(ExitCodes.USAGE, "--page-token: a page token is 1-128 characters, as a listing printed it");
                }
                ListSessionsResponse page = c.call(Target.ISSUER, () -> c.withDeadline(c.issuer("sessions:read"))
                        .listSessions(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(all).setPageSize(limit)
                                .setPageToken(pageToken == null ? "" : pageToken).build()));
                List<Session> sessions = page.getSessionsList();
                String next = page.getNextPageToken();
                if (output.json()) {
                    ArrayNode array = OutputOptions.array();
                    sessions.forEach(s -> array.add(json(s)));
                    ObjectNode body = OutputOptions.object().put("subject", subject);
                    body.set("sessions", array);
                    if (!next.isEmpty()) {
                        body.put("next_page_token", next);
                    }
                    output.print(body);
                    return;
                }
                if (sessions.isEmpty()) {
                    output.line("no " + (all ? "" : "active ") + "sessions for " + subject);
                    return;
                }
                Table table = new Table("SESSION", "CLIENT", "PROFILE", "DEVICE", "CREATED", "LAST ACTIVITY", "EXPIRES", "STATE", "REASON");
                sessions.forEach(s -> table.row(s.getSessionId(), s.getClientId(), s.getProfile(), s.getDeviceId(), Times.show(s.getCreatedAt()),
                        Times.show(s.getLastActivityAt()), Times.show(s.getExpiresAt()), state(s.getState()), s.getRevokeReason()));
                table.print(output.out());
                if (!next.isEmpty()) {
                    output.line("more sessions: lifespan sessions list" + (all ? " --all" : "") + " --limit " + limit + " --page-token " + next
                            + (subject.startsWith("-") ? " -- " : " ") + shellWord(subject));
                }
            }
        }
    }

    /** {@code sessions end SID | --subject S}. */
    @Command(name = "end", mixinStandardHelpOptions = true,
            description = {"End one session, or every active session of a subject, however many (scope sessions:write).",
                    "Each ended session is revoked through the revocation service, so every validating node refuses its tokens."})
    public static class EndSessions implements Runnable {
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Which which;

        static class Which {
            @Parameters(paramLabel = "SID", description = "The session id (sid) to end.")
            String sessionId;

            @Option(names = "--subject", paramLabel = "SUBJECT", description = "End every active session of this subject.")
            String subject;
        }

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the session and the audit trail (at most 256 characters).")
        String reason;

        @Override
        public void run() {
            if (reason != null && reason.length() > MAX_REASON) {
                throw new CliException(ExitCodes.USAGE, "--reason: " + reason.length() + " characters, at most " + MAX_REASON);
            }
            String why = reason == null ? "ended by an operator (lifespan sessions end)" : reason;
            try (Connection c = new Connection(connection.settings())) {
                List<EndSessionResponse> ended = new ArrayList<>();
                long count;
                if (which.subject != null) {
                    requireSubject(which.subject, "--subject");
                    // One call, however many sessions the subject has: the issuer ends them all.
                    EndSubjectSessionsResponse all = c.call(Target.ISSUER, () -> c.withDeadline(c.issuer("sessions:write"))
                            .endSubjectSessions(EndSubjectSessionsRequest.newBuilder().setSubject(which.subject).setReason(why).build()));
                    all.getSessionsList().forEach(s -> ended.add(EndSessionResponse.newBuilder().setSession(s).setEndedNow(true).build()));
                    count = all.getEnded();
                } else {
                    if (which.sessionId.isBlank() || which.sessionId.length() > 64) {
                        throw new CliException(ExitCodes.USAGE, "SID: a session id is 1-64 characters");
                    }
                    ended.add(c.call(Target.ISSUER, () -> c.withDeadline(c.issuer("sessions:write"))
                            .endSession(EndSessionRequest.newBuilder().setSessionId(which.sessionId).setReason(why).build())));
                    count = ended.get(0).getEndedNow() ? 1 : 0;
                }
                if (output.json()) {
                    ArrayNode array = OutputOptions.array();
                    ended.forEach(e -> array.add(json(e.getSession()).put("ended_now", e.getEndedNow())));
                    output.print(OutputOptions.object().put("ended_count", count).set("ended", array));
                    return;
                }
                if (ended.isEmpty()) {
                    output.line("no active sessions for " + which.subject);
                    return;
                }
                for (EndSessionResponse e : ended) {
                    Session s = e.getSession();
                    output.line((e.getEndedNow() ? "ended " : "already ended: ") + s.getSessionId() + " (" + s.getSubject() + ", " + s.getClientId()
                            + ", " + state(s.getState()) + ")");
                }
                if (count > ended.size()) {
                    output.line("... and " + (count - ended.size()) + " older session(s); " + count + " ended in all");
                }
            }
        }
    }

    /** A value as one word a POSIX shell reads back unchanged, for a command line printed to be pasted. */
    static String shellWord(String value) {
        return value.matches("[A-Za-z0-9@%+=:,./_-]+") ? value : "'" + value.replace("'", "'\\''") + "'";
    }

    static void requireSubject(String subject, String name) {
        if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT) {
            throw new CliException(ExitCodes.USAGE, name + ": a subject is 1-" + MAX_SUBJECT + " characters");
        }
    }

    static String state(SessionState state) {
        return switch (state) {
            case SESSION_STATE_ACTIVE -> "active";
            case SESSION_STATE_REVOKED -> "revoked";
            case SESSION_STATE_IDLE_EXPIRED -> "idle-expired";
            case SESSION_STATE_EXPIRED -> "expired";
            default -> state.name().toLowerCase(Locale.ROOT);
        };
    }

    static ObjectNode json(Session s) {
        ObjectNode node = OutputOptions.object().put("session_id", s.getSessionId()).put("subject", s.getSubject())
                .put("client_id", s.getClientId()).put("profile", s.getProfile()).put("device_id", s.getDeviceId())
                .put("created_at", Times.show(s.getCreatedAt())).put("last_activity_at", Times.show(s.getLastActivityAt()))
                .put("idle_expires_at", Times.show(s.getIdleExpiresAt())).put("expires_at", Times.show(s.getExpiresAt()))
                .put("state", state(s.getState()));
        if (!s.getRevokeReason().isEmpty()) {
            node.put("revoke_reason", s.getRevokeReason());
        }
        return node;
    }

}
