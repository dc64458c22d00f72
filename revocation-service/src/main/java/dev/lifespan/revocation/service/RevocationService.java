package dev.lifespan.revocation.service;

import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.revocation.log.RevocationLog;
import dev.lifespan.revocation.publish.RulePublisher;
import dev.lifespan.revocation.rule.NewRule;
import dev.lifespan.revocation.rule.Rule;
import dev.lifespan.revocation.rule.RulePolicy;
import dev.lifespan.revocation.rule.RuleRequest;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.time.Clocks;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Records revocation rules and answers questions about them: validates and completes each rule,
 * appends them to the log in one transaction, then (after commit) applies and publishes them.
 */
@Singleton
public class RevocationService {
    public static final int MAX_SINCE_LIMIT = 100_000;
    private static final int MAX_ID_LENGTH = RulePolicy.MAX_VALUE_LENGTH;
    private static final Logger LOG = Logger.getLogger(RevocationService.class);
    /** A catch-up gives the log its rules back within a round trip to Redis and one to PostgreSQL, or on the next heartbeat. */
    private static final Duration RETRY_WHILE_RESTORING = Duration.ofSeconds(1);

    private final RulePolicy policy;
    private final RevocationLog log;
    private final RulePublisher publisher;
    private final InstantSource clock;
    private final Map<RuleKind, Counter> written = new EnumMap<>(RuleKind.class);

    public RevocationService(RulePolicy policy, RevocationLog log, RulePublisher publisher, InstantSource clock, MeterRegistry registry) {
        this.policy = policy;
        this.log = log;
        this.publisher = publisher;
        this.clock = clock;
        for (RuleKind kind : RuleKind.values()) {
            if (kind != RuleKind.RULE_KIND_UNSPECIFIED && kind != RuleKind.UNRECOGNIZED) {
                written.put(kind, Counter.builder("lifespan_revocation_rules_written")
                        .description("Revocation rules appended to the log (identical repeats not counted)")
                        .tag("kind", Rule.name(kind).toLowerCase(Locale.ROOT))
                        .register(registry));
            }
        }
    }

    /**
     * Records the rules in order, in one transaction: each comes back as recorded, with its
     * sequence (an identical live rule comes back as it already was).
     *
     * @param field      the request field holding them, {@code rule} for one or {@code rules} for a batch
     * @param recordedBy the caller's {@code client_id} (its service token's), kept in each rule's REVOKED audit event;
     *                   null when caller authentication is off
     */
    public Uni<List<Rule>> revoke(String field, List<RuleRequest> requested, boolean batch, String recordedBy) {
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
        return log.append(rules, now, recordedBy, publisher.publishedSoFar()).onFailure(RevocationLog.Behind.class)
                .transform(behind -> logBehind()).chain(appended -> {
            List<Rule> created = new ArrayList<>();
            for (RevocationLog.Appended a : appended) {
                if (a.created()) {
                    created.add(a.rule());
                    written.get(a.rule().kind()).increment();
                }
            }
            List<Rule> recorded = appended.stream().map(RevocationLog.Appended::rule).toList();
            Uni<Void> published = created.isEmpty() ? Uni.createFrom().voidItem() : publisher.publishCommitted(created);
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
        Instant latest = rules.stream().map(Rule::notBefore).filter(Objects::nonNull).max(Instant::compareTo).orElse(null);
        if (latest == null) {
            return Uni.createFrom().voidItem();
        }
        Duration wait = Duration.between(Clocks.now(clock), latest);
        return wait.isNegative() || wait.isZero() ? Uni.createFrom().voidItem()
                : Uni.createFrom().voidItem().onItem().delayIt().by(wait.plusMillis(1));
    }

    /** The identifiers of one access token, as a node asks {@code Check}: all but {@code sessionId} required. */
    public record TokenIdentifiers(String tokenId, String sessionId, String subject, String clientId, String keyId, Instant issuedAt) {
    }

    /** The first live rule covering a token with these identifiers, if any. */
    public Uni<Optional<Rule>> check(TokenIdentifiers token) {
        // Every Lifespan access token carries these: a Check without them could only ever answer "not revoked".
        String tokenId = Inputs.required("token_id", token.tokenId(), MAX_ID_LENGTH);
        String sessionId = Inputs.optional("session_id", token.sessionId(), MAX_ID_LENGTH);
        String subject = Inputs.required("subject", token.subject(), MAX_ID_LENGTH);
        String clientId = Inputs.required("client_id", token.clientId(), MAX_ID_LENGTH);
        String keyId = Inputs.required("key_id", token.keyId(), MAX_ID_LENGTH);
        if (token.issuedAt() == null) {
            throw ServiceException.invalidField("issued_at", "is required");
        }
        return log.firstCovering(tokenId, sessionId, subject, clientId, keyId, token.issuedAt().truncatedTo(ChronoUnit.MILLIS),
                Clocks.now(clock)).map(Optional::ofNullable);
    }

    /**
     * Every live rule in sequence order, and the latest sequence, from one consistent read. Refused (UNAVAILABLE) while the
     * log is behind the rules already published: a node would start without them.
     */
    public Uni<RevocationLog.Snapshot> snapshot() {
        long published = publisher.publishedSoFar();
        return log.snapshot(Clocks.now(clock)).invoke(snapshot -> {
            if (snapshot.sequence() < published) {
                throw logBehind();
            }
        });
    }

    /**
     * The log lost rules already published (a failover, a restore from backup): starts the catch-up that gives them back,
     * and says so to the caller, who retries.
     */
    private ServiceException logBehind() {
        publisher.catchUp().subscribe().with(done -> { }, failure -> LOG.debugf("Revocation catch-up failed: %s", failure.getMessage()));
        return ServiceException.unavailable("the revocation log is missing rules already published (a failover or a restore from"
                + " backup) and is being given them back; retry shortly", RETRY_WHILE_RESTORING);
    }

    /**
     * Rules after {@code after}, in sequence order (expired ones until the clean-up deletes them); {@code limit} 0 means all.
     * Refused (UNAVAILABLE) while the log is behind the rules already published, when they would be in the range: a node
     * takes what a replay leaves out as gone for good.
     */
    public Multi<Rule> since(long after, int limit) {
        if (after < 0) {
            return Multi.createFrom().failure(ServiceException.invalidField("after_sequence", "must not be negative"));
        }
        if (limit < 0 || limit > MAX_SINCE_LIMIT) {
            return Multi.createFrom().failure(ServiceException.invalidField("limit", "must be 0 (all) or 1 to " + MAX_SINCE_LIMIT));
        }
        long published = publisher.publishedSoFar();
        if (after >= published) {
            return log.since(after, limit);
        }
        return log.latestSequence().onItem().transformToMulti(latest -> {
            if (latest < published) {
                throw logBehind();
            }
            return log.since(after, limit);
        });
    }
}
