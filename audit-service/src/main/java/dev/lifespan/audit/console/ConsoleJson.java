package dev.lifespan.audit.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.Alert;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.EndSubjectSessionsResponse;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.Session;
import dev.lifespan.audit.verifier.ChainBreak;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The console API's JSON: what the page reads, in one place. Times are ISO-8601 instants; a signed-in operator is
 * described by client, scopes, expiry and the start of the token's id, never by the token.
 */
@Singleton
class ConsoleJson {
    private final ObjectMapper json;

    ConsoleJson(ObjectMapper json) {
        this.json = json;
    }

    ObjectNode object() {
        return json.createObjectNode();
    }

    ObjectNode signedIn(ConsoleAuth.Operator operator) {
        ObjectNode out = json.createObjectNode();
        out.put("signed_in", true);
        out.put("client_id", operator.claims().clientId());
        out.put("subject", operator.claims().subject());
        ArrayNode scopes = out.putArray("scopes");
        operator.claims().scopes().forEach(scopes::add);
        out.put("expires_at", operator.claims().expiresAt().toString());
        // Never the token: only the first characters of its id, enough to match it in the audit trail.
        String jti = operator.claims().tokenId();
        if (jti != null) {
            out.put("token_id_hint", (jti.length() > 6 ? jti.substring(0, 6) : jti) + "…");
        }
        out.put("csrf", operator.csrf());
        return out;
    }

    ObjectNode signedOut(String seed) {
        return json.createObjectNode().put("signed_in", false).put("csrf", ConsoleAuth.csrf(seed, ConsoleAuth.SIGNED_OUT));
    }

    ObjectNode session(Session s) {
        ObjectNode out = json.createObjectNode();
        out.put("session_id", s.getSessionId());
        out.put("client_id", s.getClientId());
        out.put("profile", s.getProfile());
        out.put("device_id", s.getDeviceId());
        putTime(out, "created_at", s.hasCreatedAt(), s.getCreatedAt());
        putTime(out, "last_activity_at", s.hasLastActivityAt(), s.getLastActivityAt());
        putTime(out, "expires_at", s.hasExpiresAt(), s.getExpiresAt());
        out.put("state", s.getState().name().replace("SESSION_STATE_", ""));
        out.put("revoke_reason", s.getRevokeReason());
        return out;
    }

    String ended(List<EndSessionResponse> responses) {
        ObjectNode out = json.createObjectNode();
        ArrayNode array = out.putArray("ended");
        for (EndSessionResponse r : responses) {
            array.add(session(r.getSession()).put("ended_now", r.getEndedNow()));
        }
        return out.toString();
    }

    /** A subject's sessions ended at once: how many, and the newest of them (the issuer sends at most 500). */
    String ended(EndSubjectSessionsResponse response) {
        ObjectNode out = json.createObjectNode().put("ended_count", response.getEnded());
        ArrayNode array = out.putArray("ended");
        for (Session s : response.getSessionsList()) {
            array.add(session(s).put("ended_now", true));
        }
        return out.toString();
    }

    String alert(Alert a) {
        ObjectNode out = json.createObjectNode();
        out.put("alert_id", a.getAlertId());
        out.put("rule", a.getRule());
        out.put("severity", a.getSeverity().name().replace("ALERT_SEVERITY_", ""));
        putTime(out, "raised_at", a.hasRaisedAt(), a.getRaisedAt());
        out.put("subject", a.getSubject());
        out.put("session_id", a.getSessionId());
        out.put("client_id", a.getClientId());
        out.put("source_ip", a.getSourceIp());
        out.put("summary", a.getSummary());
        out.put("action_taken", a.getActionTaken());
        out.put("observed", a.getObserved());
        out.put("threshold", a.getThreshold());
        return out.toString();
    }

    ObjectNode rule(RevocationRule r) {
        ObjectNode out = json.createObjectNode();
        out.put("kind", kindName(r.getKind()));
        out.put("value", r.getValue());
        out.put("reason", r.getReason());
        out.put("sequence", r.getSequence());
        putTime(out, "created_at", r.hasCreatedAt(), r.getCreatedAt());
        putTime(out, "not_before", r.hasNotBefore(), r.getNotBefore());
        putTime(out, "expires_at", r.hasExpiresAt(), r.getExpiresAt());
        return out;
    }

    void putNodes(ObjectNode out, List<NodeFeeds.NodeFeed> feeds, long head) {
        ArrayNode nodeArray = out.putArray("nodes");
        for (NodeFeeds.NodeFeed node : feeds) {
            ObjectNode n = nodeArray.addObject().put("name", node.name()).put("state", node.state());
            if (node.sequence() != null) {
                n.put("sequence", node.sequence()).put("behind", Math.max(0, head - node.sequence()));
            }
            putIfSet(n, "rules", node.rules());
            putIfSet(n, "propagation_count", node.propagationCount());
            if (node.propagationSum() != null) {
                n.put("propagation_sum_seconds", node.propagationSum());
            }
            if (node.p99Seconds() != null) {
                n.put("propagation_p99_seconds", node.p99Seconds());
            }
            if (node.problem() != null) {
                n.put("problem", node.problem());
            }
        }
    }

    /** The revocation view: the snapshot's counts by kind and newest rules, and every node's feed against its sequence. */
    String revocation(OperatorCalls.RuleSummary summary, List<NodeFeeds.NodeFeed> feeds, Instant readAt) {
        ObjectNode body = json.createObjectNode();
        body.put("sequence", summary.sequence);
        body.put("total", summary.total);
        putNodes(body, feeds, summary.sequence);
        ObjectNode counts = body.putObject("counts");
        for (RuleKind kind : RuleKind.values()) {
            if (kind != RuleKind.RULE_KIND_UNSPECIFIED && kind != RuleKind.UNRECOGNIZED) {
                counts.put(kindName(kind), summary.counts.getOrDefault(kind, 0L));
            }
        }
        ArrayNode newest = body.putArray("newest");
        summary.newest().forEach(rule -> newest.add(rule(rule)));
        body.put("read_at", readAt.toString());
        return body.toString();
    }

    /** Chain status ({@link ChainStatus}). */
    String chain(ChainStatus.Status status) {
        ObjectNode out = json.createObjectNode();
        out.put("head_sequence", status.head());
        status.checkpoint().ifPresent(c -> out.putObject("checkpoint").put("sequence", c.sequence()).put("signed_at", c.signedAt().toString())
                .put("key_id", c.keyId()));
        if (status.report() == null) {
            return out.put("intact", true).put("checked", 0).toString();
        }
        var report = status.report();
        out.put("intact", report.intact());
        out.put("verified_from", report.result().firstSequence());
        out.put("verified_to", report.result().lastSequence());
        out.put("checked", report.result().checked());
        out.put("anchor", report.anchor());
        ChainBreak first = report.firstBreak();
        if (first != null) {
            out.putObject("first_break").put("kind", first.kind().name()).put("sequence", first.sequence()).put("problem", first.message());
        }
        return out.toString();
    }

    /** Activity per minute ({@link ActivityStore.Activity}). */
    String activity(ActivityStore.Activity activity) {
        ObjectNode out = json.createObjectNode();
        out.put("from", activity.from().toString());
        out.put("minutes", activity.minutes());
        ObjectNode series = out.putObject("series");
        for (Map.Entry<String, long[]> type : activity.series().entrySet()) {
            ArrayNode values = series.putArray(type.getKey());
            for (long v : type.getValue()) {
                values.add(v);
            }
        }
        return out.toString();
    }

    static String kindName(RuleKind kind) {
        return kind.name().replace("RULE_KIND_", "");
    }

    static void putTime(ObjectNode out, String field, boolean present, Timestamp t) {
        if (present) {
            out.put(field, Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString());
        }
    }

    static void putIfSet(ObjectNode out, String field, Long value) {
        if (value != null) {
            out.put(field, value);
        }
    }
}
