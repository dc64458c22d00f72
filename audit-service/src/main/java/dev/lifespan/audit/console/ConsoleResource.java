package dev.lifespan.audit.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.alert.AlertFeed;
import dev.lifespan.audit.alert.AlertStore;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.event.EventQuery;
import dev.lifespan.audit.event.EventStore;
import dev.lifespan.audit.event.InvalidInput;
import dev.lifespan.audit.event.QueryValidation;
import dev.lifespan.audit.http.EventsResource;
import dev.lifespan.support.http.RequestAddress;
import dev.lifespan.support.input.Inputs;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.CookieParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.RestStreamElementType;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The operators' web console (README, Console): the page under {@code /console/} (static files) and its JSON API under
 * {@code /console/api}, every request authenticated by the {@value ConsoleCookies#TOKEN} cookie ({@link ConsoleAuth}) and
 * every POST by its CSRF header. Thin: audit events, alerts and the chain come from this service's own stores and
 * checks; sessions and revocations from {@link OperatorCalls} with the operator's token.
 */
@Path("/console")
public class ConsoleResource {
    static final String JSON = MediaType.APPLICATION_JSON;
    /** A console events page defaults to 50 and is at most 500 (the REST API allows more; the page shows a table). */
    static final int DEFAULT_EVENTS = 50;
    static final int MAX_EVENTS = 500;
    /** Alerts replayed when the live view opens, before new ones. */
    static final int RECENT_ALERTS = 20;
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    private static final Set<String> RULE_KINDS = Set.of("TOKEN", "SESSION", "SUBJECT", "CLIENT", "KEY", "GLOBAL");

    private final ConsoleAuth auth;
    private final OperatorCalls calls;
    private final EventStore events;
    private final AlertFeed alerts;
    private final AlertStore alertStore;
    private final ChainStatus chainStatus;
    private final ActivityStore activity;
    private final NodeFeeds nodes;
    private final AuditConfig config;
    private final ObjectMapper json;
    private final ConsoleJson out;
    private final InstantSource clock;

    public ConsoleResource(ConsoleAuth auth, OperatorCalls calls, EventStore events, AlertFeed alerts, AlertStore alertStore,
            ChainStatus chainStatus, ActivityStore activity, NodeFeeds nodes, AuditConfig config, ObjectMapper json, ConsoleJson out,
            InstantSource clock) {
        this.auth = auth;
        this.calls = calls;
        this.events = events;
        this.alerts = alerts;
        this.alertStore = alertStore;
        this.chainStatus = chainStatus;
        this.activity = activity;
        this.nodes = nodes;
        this.config = config;
        this.json = json;
        this.out = out;
        this.clock = clock;
    }

    /** {@code /console} → the page. */
    @GET
    public Response page() {
        return Response.seeOther(URI.create("/console/")).build();
    }

    // ---------------------------------------------------------------- sign-in

    /**
     * Who is signed in, and the CSRF token the page must send with every POST ({@code {"signed_in": false, "csrf": ...}}
     * before sign-in). Sets the CSRF seed cookie when the browser has none; clears an expired or revoked sign-in.
     */
    @GET
    @Path("/api/session")
    @Produces(JSON)
    public Response session(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seedCookie) {
        String seed = ConsoleAuth.seed(seedCookie).orElse(null);
        List<String> cookies = new ArrayList<>();
        if (seed == null) {
            seed = ConsoleAuth.newSeed();
            cookies.add(ConsoleCookies.set(ConsoleCookies.SEED, seed, Duration.ofDays(1)));
        }
        ObjectNode body;
        if (token != null && !token.isEmpty()) {
            try {
                body = out.signedIn(auth.operator(token, seed, null, false));
            } catch (ConsoleFailure.SignedOut signedOut) {
                cookies.add(ConsoleCookies.clear(ConsoleCookies.TOKEN));
                body = this.out.signedOut(seed).put("message", signedOut.getMessage());
            }
        } else {
            body = out.signedOut(seed);
        }
        Response.ResponseBuilder response = Response.ok(body.toString(), JSON);
        cookies.forEach(c -> response.header("Set-Cookie", c));
        return response.build();
    }

    /** Signs in with an operator client's id and secret ({@code {"client_id": ..., "client_secret": ...}}). */
    @POST
    @Path("/api/sign-in")
    @Consumes(JSON)
    @Produces(JSON)
    public Uni<Response> signIn(String body, @CookieParam(ConsoleCookies.SEED) String seed, @HeaderParam(ConsoleAuth.HEADER) String csrf,
            @Context HttpServerRequest http) {
        JsonNode form = object(body);
        return auth.signIn(text(form, "client_id"), text(form, "client_secret"), ConsoleAuth.seed(seed).orElse(null), csrf, RequestAddress.of(http)).map(signIn ->
                Response.ok(out.signedIn(signIn.operator()).toString(), JSON)
                        .header("Set-Cookie", ConsoleCookies.set(ConsoleCookies.TOKEN, signIn.operator().token(), auth.remaining(signIn.operator().claims())))
                        .header("Set-Cookie", ConsoleCookies.set(ConsoleCookies.SEED, signIn.seed(), Duration.ofDays(1)))
                        .build());
    }

    /**
     * Signs out: both cookies go (a new seed for the next sign-in), and the token itself is revoked (a TOKEN rule until
     * its expiry, with its own {@code revocation:write}) so a copy of the cookie is worthless too; when the client may not
     * revoke, the token simply runs out. Needs the CSRF token while the sign-in is valid.
     */
    @POST
    @Path("/api/sign-out")
    @Produces(JSON)
    public Uni<Response> signOut(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed,
            @HeaderParam(ConsoleAuth.HEADER) String csrf) {
        ConsoleAuth.Operator operator = null;
        try {
            operator = auth.operator(token, seed, csrf, true);
        } catch (ConsoleFailure.SignedOut alreadyOut) {
            // nothing valid to protect: clearing the cookies is all there is to do
        }
        Uni<String> revoked = Uni.createFrom().item("not signed in");
        if (operator != null && operator.claims().tokenId() != null && operator.claims().hasScope("revocation:write")) {
            ConsoleAuth.Operator signedIn = operator;
            Instant exp = operator.claims().expiresAt();
            RevocationRule rule = RevocationRule.newBuilder().setKind(RuleKind.RULE_KIND_TOKEN).setValue(operator.claims().tokenId())
                    .setExpiresAt(Timestamp.newBuilder().setSeconds(exp.getEpochSecond()).setNanos(exp.getNano()))
                    .setReason("signed out of the console").build();
            revoked = Uni.createFrom().deferred(() -> calls.revoke(signedIn, rule)).map(r -> "token revoked")
                    .onFailure().recoverWithItem(failure -> "token not revoked (" + failure.getMessage() + "); it expires at " + exp);
        }
        String newSeed = ConsoleAuth.newSeed();
        return revoked.map(what -> {
            ObjectNode body = out.signedOut(newSeed).put("message", "Signed out; " + what + ".");
            return Response.ok(body.toString(), JSON)
                    .header("Set-Cookie", ConsoleCookies.clear(ConsoleCookies.TOKEN))
                    .header("Set-Cookie", ConsoleCookies.set(ConsoleCookies.SEED, newSeed, Duration.ofDays(1))).build();
        });
    }

    // ---------------------------------------------------------------- sessions

    /**
     * A page of the subject's sessions, newest first and ended ones included, from the issuer; {@code next_page_token}
     * (when there are older ones) is the {@code page_token} of the next page.
     */
    @GET
    @Path("/api/subjects/{subject}/sessions")
    @Produces(JSON)
    public Uni<String> sessions(@PathParam("subject") String subject, @QueryParam("page_token") String pageToken,
            @CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        ConsoleAuth.Operator operator = read(token, seed);
        String s = Inputs.required("subject", subject, Inputs.SUBJECT);
        String after = Inputs.optional("page_token", pageToken, Inputs.TOKEN);
        return calls.sessions(operator, s, after).map(page -> {
            ObjectNode body = out.object().put("subject", s);
            if (!page.getNextPageToken().isEmpty()) {
                body.put("next_page_token", page.getNextPageToken());
            }
            ArrayNode array = body.putArray("sessions");
            page.getSessionsList().forEach(session -> array.add(out.session(session)));
            return body.toString();
        });
    }

    /** Ends one session ({@code {"reason": ...}} optional). */
    @POST
    @Path("/api/sessions/{sessionId}/end")
    @Consumes(JSON)
    @Produces(JSON)
    public Uni<String> endSession(@PathParam("sessionId") String sessionId, String body, @CookieParam(ConsoleCookies.TOKEN) String token,
            @CookieParam(ConsoleCookies.SEED) String seed, @HeaderParam(ConsoleAuth.HEADER) String csrf) {
        ConsoleAuth.Operator operator = write(token, seed, csrf);
        String sid = Inputs.required("session_id", sessionId, Inputs.ID);
        String reason = reason(object(body), operator);
        return calls.endSession(operator, sid, reason).map(ended -> out.ended(List.of(ended)));
    }

    /** Ends every active session of the subject ({@code {"reason": ...}} optional). */
    @POST
    @Path("/api/subjects/{subject}/end-all")
    @Consumes(JSON)
    @Produces(JSON)
    public Uni<String> endAll(@PathParam("subject") String subject, String body, @CookieParam(ConsoleCookies.TOKEN) String token,
            @CookieParam(ConsoleCookies.SEED) String seed, @HeaderParam(ConsoleAuth.HEADER) String csrf) {
        ConsoleAuth.Operator operator = write(token, seed, csrf);
        String s = Inputs.required("subject", subject, Inputs.SUBJECT);
        String reason = reason(object(body), operator);
        return calls.endAll(operator, s, reason).map(out::ended);
    }

    // ---------------------------------------------------------------- audit

    /**
     * Audit events by subject, session, client, type and time, {@value #DEFAULT_EVENTS} a page (at most
     * {@value #MAX_EVENTS}): the same filters and page as {@code GET /audit/events}, oldest first, or newest first with
     * {@code order=newest} (what the subject view shows).
     */
    @GET
    @Path("/api/events")
    @Produces(JSON)
    public Uni<String> events(@QueryParam("subject") String subject, @QueryParam("session_id") String sessionId,
            @QueryParam("client_id") String clientId, @QueryParam("type") List<String> types, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("cursor") String cursor, @QueryParam("limit") String limit,
            @QueryParam("order") String order, @CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        read(token, seed);
        if (limit != null && !limit.isEmpty() && QueryValidation.number("limit", limit) > MAX_EVENTS) {
            throw new InvalidInput("limit", "limit is above " + MAX_EVENTS + ", the most the console shows at once");
        }
        boolean newest = "newest".equals(order);
        if (order != null && !order.isEmpty() && !newest && !"oldest".equals(order)) {
            throw new InvalidInput("order", "order must be oldest or newest");
        }
        // Newest first, the cursor is the sequence to go below; oldest first, the one to go above (as GET /audit/events).
        EventQuery query = QueryValidation.fromHttp(blankToNull(subject), blankToNull(sessionId), blankToNull(clientId),
                types == null ? List.of() : types.stream().filter(t -> !t.isBlank()).toList(), blankToNull(from), blankToNull(to),
                newest ? null : cursor, limit, DEFAULT_EVENTS);
        Duration ahead = config.record().maxClockAhead();
        return (newest ? events.newest(query, QueryValidation.number("cursor", cursor), ahead) : events.query(query, ahead))
                .map(page -> EventsResource.page(page, query.limit()));
    }

    /**
     * Chain status: the chain verified from the newest signed checkpoint to the head ("verified up to event N, checkpoint
     * at T"); without a checkpoint, the newest {@value ChainStatus#MAX_UNCHECKPOINTED} events. {@code GET /audit/verify} checks all.
     */
    @GET
    @Path("/api/chain")
    @Produces(JSON)
    public Uni<String> chain(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        read(token, seed);
        return chainStatus.check().map(out::chain);
    }

    /** Token activity per minute over the last {@code minutes} (1–{@value ActivityStore#MAX_MINUTES}, default 60), for the charts. */
    @GET
    @Path("/api/activity")
    @Produces(JSON)
    public Uni<String> activity(@QueryParam("minutes") String minutes, @CookieParam(ConsoleCookies.TOKEN) String token,
            @CookieParam(ConsoleCookies.SEED) String seed) {
        read(token, seed);
        long n = minutes == null || minutes.isEmpty() ? 60 : QueryValidation.number("minutes", minutes);
        if (n < 1 || n > ActivityStore.MAX_MINUTES) {
            throw new InvalidInput("minutes", "minutes must be between 1 and " + ActivityStore.MAX_MINUTES);
        }
        return activity.lastMinutes((int) n, clock.instant(), config.record().maxClockAhead()).map(out::activity);
    }

    // ---------------------------------------------------------------- alerts

    /**
     * Alerts as server-sent events ({@code data: {...}} per alert): the {@value #RECENT_ALERTS} newest, then each one as
     * any replica raises it ({@link AlertFeed}, the stream behind {@code WatchAlerts}); a keep-alive every 15 s. The
     * stream ends when the operator's token expires.
     */
    @GET
    @Path("/api/alerts")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.TEXT_PLAIN)
    public Multi<String> alerts(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        ConsoleAuth.Operator operator = read(token, seed);
        Duration left = auth.remaining(operator.claims());
        Multi<String> live = Multi.createFrom().uni(alertStore.latestId())
                .onItem().transformToMultiAndConcatenate(latest -> alerts.watch(alert -> true, Math.max(0, latest - RECENT_ALERTS)))
                .map(out::alert);
        Multi<String> keepAlive = Multi.createFrom().ticks().every(KEEP_ALIVE).map(tick -> "{\"keep_alive\":true}");
        return Multi.createBy().merging().streams(live, keepAlive).select().first(left);
    }

    // ---------------------------------------------------------------- revocation

    /**
     * Revocation state: live rules by kind and the newest of them, the feed's sequence (from the revocation service's
     * {@code Snapshot}, with the operator's token), and each validating node's sequence, how far behind it is, and its
     * propagation-lag histogram figures ({@link NodeFeeds}).
     */
    @GET
    @Path("/api/revocation")
    @Produces(JSON)
    public Uni<String> revocation(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        ConsoleAuth.Operator operator = read(token, seed);
        Uni<OperatorCalls.RuleSummary> rules = Uni.createFrom().deferred(() -> calls.rules(operator));
        return Uni.combine().all().unis(rules, nodes.read()).asTuple()
                .map(both -> out.revocation(both.getItem1(), both.getItem2(), clock.instant()));
    }

    /**
     * Only the validating nodes' feed figures (no {@code Snapshot}): what the page polls every 5 s for the lag chart.
     * "Behind" is counted from the highest sequence any node reports.
     */
    @GET
    @Path("/api/nodes")
    @Produces(JSON)
    public Uni<String> nodes(@CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed) {
        read(token, seed);
        return nodes.read().map(feeds -> {
            long head = feeds.stream().filter(f -> f.sequence() != null).mapToLong(NodeFeeds.NodeFeed::sequence).max().orElse(0);
            ObjectNode body = out.object();
            out.putNodes(body, feeds, head);
            body.put("read_at", clock.instant().toString());
            return body.toString();
        });
    }

    /** Revokes with one rule: {@code {"kind": "SUBJECT", "value": "alice", "reason": "..."}} (the issued-before time is now). */
    @POST
    @Path("/api/revocations")
    @Consumes(JSON)
    @Produces(JSON)
    public Uni<String> revoke(String body, @CookieParam(ConsoleCookies.TOKEN) String token, @CookieParam(ConsoleCookies.SEED) String seed,
            @HeaderParam(ConsoleAuth.HEADER) String csrf) {
        ConsoleAuth.Operator operator = write(token, seed, csrf);
        JsonNode form = object(body);
        String kind = Inputs.required("kind", text(form, "kind"), 16);
        if (!RULE_KINDS.contains(kind)) {
            throw new InvalidInput("kind", "kind must be one of " + String.join(", ", RULE_KINDS.stream().sorted().toList()));
        }
        String value = kind.equals("GLOBAL") ? Inputs.optional("value", text(form, "value"), Inputs.SUBJECT)
                : Inputs.required("value", text(form, "value"), Inputs.SUBJECT);
        RevocationRule.Builder rule = RevocationRule.newBuilder().setKind(RuleKind.valueOf("RULE_KIND_" + kind))
                .setValue(value == null ? "" : value).setReason(reason(form, operator));
        return calls.revoke(operator, rule.build()).map(r -> out.object().set("rule", out.rule(r.getRule())).toString());
    }

    // ---------------------------------------------------------------- errors

    /** Not (or no longer) signed in: 401, and the token cookie goes. */
    @ServerExceptionMapper
    public Response signedOut(ConsoleFailure.SignedOut signedOut) {
        ObjectNode body = out.object().put("error", "signed_out").put("error_description", signedOut.getMessage());
        return Response.status(401).type(JSON)
                .header("Set-Cookie", ConsoleCookies.clear(ConsoleCookies.TOKEN)).entity(body.toString()).build();
    }

    /** A POST without this sign-in's CSRF token: 403. */
    @ServerExceptionMapper
    public Response csrfRefused(ConsoleFailure.CsrfRefused refused) {
        ObjectNode body = out.object().put("error", "csrf_refused").put("error_description", refused.getMessage())
                .put("field", ConsoleAuth.HEADER);
        return Response.status(403).type(JSON).entity(body.toString()).build();
    }

    // ---------------------------------------------------------------- helpers

    private ConsoleAuth.Operator read(String token, String seed) {
        return auth.operator(token, seed, null, false);
    }

    private ConsoleAuth.Operator write(String token, String seed, String csrf) {
        return auth.operator(token, seed, csrf, true);
    }

    private String reason(JsonNode form, ConsoleAuth.Operator operator) {
        String reason = Inputs.optional("reason", text(form, "reason"), Inputs.REASON);
        return reason == null || reason.isBlank() ? "ended from the console by " + operator.claims().clientId() : reason;
    }

    /** A request body that must be a JSON object (an empty body is an empty object). */
    private JsonNode object(String body) {
        if (body == null || body.isBlank()) {
            return json.createObjectNode();
        }
        try {
            JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new InvalidInput("body", "body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw new InvalidInput("body", "body is not JSON");
        }
    }

    /** A string member of a request body; null when absent. */
    private static String text(JsonNode form, String field) {
        JsonNode value = form.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidInput(field, field + " must be a string");
        }
        return value.asText();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
