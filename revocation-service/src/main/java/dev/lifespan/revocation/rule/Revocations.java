package dev.lifespan.revocation.rule;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.CheckResponse;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.revocation.feed.RevocationFeed;
import dev.lifespan.revocation.log.RevocationLog;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Records revocation rules and answers questions about them: validates and completes each rule,
 * appends them to the log in one transaction, then (after commit) applies and publishes them.
 */
@Singleton
public class Revocations {
    public static final int MAX_SINCE_LIMIT = 100_000;
    private static final int MAX_ID_LENGTH = RulePolicy.MAX_VALUE_LENGTH;

    private final RulePolicy policy;
    private final RevocationLog log;
    private final RevocationFeed feed;
    private final InstantSource clock;
    private final Map<RuleKind, Counter> written = new EnumMap<>(RuleKind.class);

    public Revocations(RulePolicy policy, RevocationLog log, RevocationFeed feed, InstantSource clock, MeterRegistry registry) {
        this.policy = policy;
        this.log = log;
        this.feed = feed;
        this.clock = clock;
        for (RuleKind kind : RuleKind.values()) {
            if (kind != RuleKind.RULE_KIND_UNSPECIFIED && kind != RuleKind.UNRECOGNIZED) {
                written.put(kind, Counter.builder("lifespan_revocation_rules_written")
                        .description("Revocation rules appended to the log (identical repeats not counted)")
                        .tag("kind", Rule.name(kind).toLowerCase(java.util.Locale.ROOT))
                        .register(registry));
            }
        }
    }

    /**
     * Records the rules in order, in one transaction: each comes back as recorded, with its
     * sequence (an identical live rule comes back as it already was).
     *
     * @param field the request field holding them, {@code rule} for one or {@code rules} for a batch
     */
    public Uni<List<Rule>> revoke(String field, List<RevocationRule> requested, boolean batch) {
        if (batch && (requested.isEmpty() || requested.size() > RulePolicy.MAX_BATCH)) {
            return Uni.createFrom().failure(ServiceException.invalidField(field, "must hold 1 to " + RulePolicy.MAX_BATCH + " rules"));
        }
        Instant now = Clocks.now(clock);
        List<NewRule> rules = new ArrayList<>(requested.size());
        try {
            for (int i = 0; i < requested.size(); i++) {
                rules.add(policy.admit(batch ? field + "[" + i + "]" : field, requested.get(i), now));
            }
        } catch (ServiceException e) {
            return Uni.createFrom().failure(e);
        }
        return log.append(rules, now).chain(appended -> {
            List<Rule> created = new ArrayList<>();
            for (RevocationLog.Appended a : appended) {
                if (a.created()) {
                    created.add(a.rule());
                    written.get(a.rule().kind()).increment();
                }
            }
            List<Rule> recorded = appended.stream().map(RevocationLog.Appended::rule).toList();
            Uni<Void> published = created.isEmpty() ? Uni.createFrom().voidItem() : feed.publishCommitted(created);
            return published.chain(() -> untilCutOffsBegin(recorded)).replaceWith(recorded);
        });
    }

    /**
     * Holds the answer until the latest cut-off among the rules (a whole second, at most one ahead) has begun
     * by this service's clock, so that a token whose issuing call starts after the answer carries an
     * {@code iat} the rule does not cover (see {@link RulePolicy}). Nodes have the rule already: it was
     * published before this wait.
     */
    private Uni<Void> untilCutOffsBegin(List<Rule> rules) {
        Instant latest = rules.stream().map(Rule::notBefore).filter(java.util.Objects::nonNull).max(Instant::compareTo).orElse(null);
        if (latest == null) {
            return Uni.createFrom().voidItem();
        }
        java.time.Duration wait = java.time.Duration.between(Clocks.now(clock), latest);
        return wait.isNegative() || wait.isZero() ? Uni.createFrom().voidItem()
                : Uni.createFrom().voidItem().onItem().delayIt().by(wait.plusMillis(1));
    }

    /** Whether a live rule covers a token with these identifiers; all but {@code session_id} are required. */
    public Uni<CheckResponse> check(CheckRequest request) {
        // Every Lifespan access token carries these: a Check without them could only ever answer "not revoked".
        String tokenId = Inputs.required("token_id", request.getTokenId(), MAX_ID_LENGTH);
        String sessionId = Inputs.optional("session_id", request.getSessionId(), MAX_ID_LENGTH);
        String subject = Inputs.required("subject", request.getSubject(), MAX_ID_LENGTH);
        String clientId = Inputs.required("client_id", request.getClientId(), MAX_ID_LENGTH);
        String keyId = Inputs.required("key_id", request.getKeyId(), MAX_ID_LENGTH);
        if (!request.hasIssuedAt()) {
            throw ServiceException.invalidField("issued_at", "is required");
        }
        Instant issuedAt = ProtoTime.instant("issued_at", true, request.getIssuedAt()).truncatedTo(ChronoUnit.MILLIS);
        return log.firstCovering(tokenId, sessionId, subject, clientId, keyId, issuedAt, Clocks.now(clock))
                .map(rule -> rule == null ? CheckResponse.newBuilder().setRevoked(false).build()
                        : CheckResponse.newBuilder().setRevoked(true).setRule(RuleMessages.message(rule)).build());
    }

    /** Every live rule in sequence order, and the latest sequence, from one consistent read. */
    public Uni<RevocationLog.Snapshot> snapshot() {
        return log.snapshot(Clocks.now(clock));
    }

    /** Rules after {@code after}, in sequence order (expired ones until the clean-up deletes them); {@code limit} 0 means all. */
    public Multi<Rule> since(long after, int limit) {
        if (after < 0) {
            return Multi.createFrom().failure(ServiceException.invalidField("after_sequence", "must not be negative"));
        }
        if (limit < 0 || limit > MAX_SINCE_LIMIT) {
            return Multi.createFrom().failure(ServiceException.invalidField("limit", "must be 0 (all) or 1 to " + MAX_SINCE_LIMIT));
        }
        return log.since(after, limit);
    }
}
