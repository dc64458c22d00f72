package dev.lifespan.cli.revoke;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.cli.CliException;
import dev.lifespan.cli.ExitCodes;
import dev.lifespan.cli.connect.Connection;
import dev.lifespan.cli.connect.ConnectionOptions;
import dev.lifespan.cli.connect.Target;
import dev.lifespan.cli.input.TimeInput;
import dev.lifespan.cli.output.OutputOptions;
import dev.lifespan.cli.output.Times;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Instant;
import java.util.Locale;

/**
 * {@code lifespan revoke KIND ...}: records one revocation rule (Revocation.Revoke, scope revocation:write). The
 * revocation service writes it to its log, applies it and broadcasts it: every validating node refuses covered tokens
 * within milliseconds.
 */
@Command(name = "revoke", mixinStandardHelpOptions = true, description = "Record a revocation rule (scope revocation:write).",
        subcommands = {RevokeCommand.Token.class, RevokeCommand.Session.class, RevokeCommand.Subject.class, RevokeCommand.Client.class,
                RevokeCommand.Key.class, RevokeCommand.Global.class})
public class RevokeCommand {
    static final int MAX_VALUE = 255;
    static final int MAX_REASON = 256;

    /** What every kind takes: the reason, output and connection. */
    abstract static class Kind implements Runnable {
        @Spec CommandSpec spec;
        @Mixin ConnectionOptions connection;
        @Mixin OutputOptions output;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why, for the audit trail (at most 256 characters).")
        String reason;

        abstract RuleKind kind();

        abstract String value();

        /** The cut-off, for the kinds that take one; null otherwise or when not given (the service takes now). */
        Instant before() {
            return null;
        }

        @Override
        public void run() {
            String value = value();
            if (kind() != RuleKind.RULE_KIND_GLOBAL && (value == null || value.isBlank() || value.length() > MAX_VALUE)) {
                throw new CliException(ExitCodes.USAGE, label() + ": 1-" + MAX_VALUE + " characters");
            }
            if (reason != null && reason.length() > MAX_REASON) {
                throw new CliException(ExitCodes.USAGE, "--reason: " + reason.length() + " characters, at most " + MAX_REASON);
            }
            RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(kind())
                    .setReason(reason == null ? "revoked by an operator (lifespan revoke)" : reason);
            if (value != null) {
                rule.setValue(value);
            }
            Instant before = before();
            if (before != null) {
                rule.setNotBefore(Timestamp.newBuilder().setSeconds(before.getEpochSecond()).setNanos(before.getNano()));
            }
            try (Connection c = new Connection(connection.settings())) {
                RevocationRule recorded = c.call(Target.REVOCATION, () -> c.withDeadline(c.revocation("revocation:write"))
                        .revoke(RevokeRequest.newBuilder().setRule(rule).build()).getRule());
                if (output.json()) {
                    output.print(json(recorded));
                } else {
                    output.line("revoked: " + describe(recorded));
                }
            }
        }

        /** The argument's name as --help shows it (JTI, SID, SUBJECT, CLIENT_ID, KID), for messages. */
        String label() {
            return spec.positionalParameters().isEmpty() ? kindName(kind()) : spec.positionalParameters().get(0).paramLabel();
        }
    }

    /** A cut-off kind: {@code --before TIME}. */
    abstract static class CutOff extends Kind {
        @Option(names = "--before", paramLabel = "TIME", converter = TimeInput.InstantConverter.class,
                description = "Revoke tokens issued before TIME: an ISO-8601 instant (2026-12-02T10:42:00Z), now, or a span ago (10m, 2h). Default now.")
        Instant before;

        @Override
        Instant before() {
            return before;
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Revoke one access token by its id (jti), until it expires.")
    public static class Token extends Kind {
        @Parameters(paramLabel = "JTI", description = "The token id (jti claim; see lifespan token inspect), not the token itself.")
        String jti;

        RuleKind kind() {
            return RuleKind.RULE_KIND_TOKEN;
        }

        String value() {
            if (jti != null && jti.chars().filter(ch -> ch == '.').count() == 2) {
                throw new CliException(ExitCodes.USAGE, "JTI: this looks like a whole token; give its jti (lifespan token inspect shows it)");
            }
            return jti;
        }
    }

    @Command(name = "session", mixinStandardHelpOptions = true, description = "Revoke every token of a session (sid).")
    public static class Session extends Kind {
        @Parameters(paramLabel = "SID", description = "The session id.")
        String sid;

        RuleKind kind() {
            return RuleKind.RULE_KIND_SESSION;
        }

        String value() {
            return sid;
        }
    }

    @Command(name = "subject", mixinStandardHelpOptions = true, description = "Revoke every token of a subject (sub) issued before a time.")
    public static class Subject extends CutOff {
        @Parameters(paramLabel = "SUBJECT", description = "The user (sub).")
        String subject;

        RuleKind kind() {
            return RuleKind.RULE_KIND_SUBJECT;
        }

        String value() {
            return subject;
        }
    }

    @Command(name = "client", mixinStandardHelpOptions = true, description = "Revoke every token of a client (client_id) issued before a time.")
    public static class Client extends CutOff {
        @Parameters(paramLabel = "CLIENT_ID", description = "The OAuth2 client.")
        String clientId;

        RuleKind kind() {
            return RuleKind.RULE_KIND_CLIENT;
        }

        String value() {
            return clientId;
        }
    }

    @Command(name = "key", mixinStandardHelpOptions = true,
            description = {"Revoke every token signed by a key (kid).", "To replace a compromised key as well, use lifespan keys rotate --emergency."})
    public static class Key extends Kind {
        @Parameters(paramLabel = "KID", description = "The signing key id (see lifespan keys list).")
        String kid;

        RuleKind kind() {
            return RuleKind.RULE_KIND_KEY;
        }

        String value() {
            return kid;
        }
    }

    @Command(name = "global", mixinStandardHelpOptions = true,
            description = "Revoke every token issued before a time, whoever it belongs to. Needs --yes: every user signs in again.")
    public static class Global extends CutOff {
        @Option(names = "--yes", description = "Confirm: every token issued before the cut-off stops working.")
        boolean yes;

        RuleKind kind() {
            return RuleKind.RULE_KIND_GLOBAL;
        }

        String value() {
            if (!yes) {
                throw new CliException(ExitCodes.USAGE, "--yes: a global revocation signs everyone out; confirm it with --yes");
            }
            return null;
        }
    }

    static ObjectNode json(RevocationRule rule) {
        ObjectNode node = OutputOptions.object().put("kind", kindName(rule.getKind())).put("value", rule.getValue())
                .put("sequence", rule.getSequence()).put("reason", rule.getReason());
        if (rule.hasNotBefore()) {
            node.put("not_before", Times.show(rule.getNotBefore()));
        }
        if (rule.hasExpiresAt()) {
            node.put("expires_at", Times.show(rule.getExpiresAt()));
        }
        if (rule.hasCreatedAt()) {
            node.put("created_at", Times.show(rule.getCreatedAt()));
        }
        return node;
    }

    static String describe(RevocationRule rule) {
        String kind = kindName(rule.getKind());
        return kind + (rule.getValue().isEmpty() ? "" : " " + rule.getValue())
                + (rule.hasNotBefore() ? ", tokens issued before " + Times.show(rule.getNotBefore()) : "")
                + " (rule " + rule.getSequence() + (rule.hasExpiresAt() ? ", kept until " + Times.show(rule.getExpiresAt()) : "") + ")";
    }

    static String kindName(RuleKind kind) {
        return kind.name().replace("RULE_KIND_", "").toLowerCase(Locale.ROOT);
    }
}
