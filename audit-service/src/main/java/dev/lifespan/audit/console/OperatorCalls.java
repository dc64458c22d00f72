package dev.lifespan.audit.console;

import dev.lifespan.api.v1.EndSessionRequest;
import dev.lifespan.api.v1.EndSessionResponse;
import dev.lifespan.api.v1.EndSubjectSessionsRequest;
import dev.lifespan.api.v1.EndSubjectSessionsResponse;
import dev.lifespan.api.v1.ListSessionsRequest;
import dev.lifespan.api.v1.ListSessionsResponse;
import dev.lifespan.api.v1.MutinyRevocationGrpc;
import dev.lifespan.api.v1.MutinyTokenIssuerGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.audit.revocation.RevocationChannel;
import dev.lifespan.support.error.ErrorKind;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.smallrye.mutiny.Uni;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * The calls the console makes to the issuer and the revocation service for an operator, each with the operator's own
 * token as its bearer: whatever the operator's client may not do, the callee refuses, and the console says so.
 */
@Singleton
public class OperatorCalls {
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The newest rules a revocation view lists (the counts cover every live rule). */
    static final int NEWEST_RULES = 100;

    private final IssuerChannel issuer;
    private final RevocationChannel revocation;
    private final Duration deadline;

    public OperatorCalls(IssuerChannel issuer, RevocationChannel revocation, AuditConfig config) {
        this.issuer = issuer;
        this.revocation = revocation;
        this.deadline = config.console().deadline();
    }

    /** Sessions the console lists at once; the operator asks for older ones a page at a time. */
    static final int SESSIONS_PAGE = 100;

    /**
     * A page of the subject's sessions, newest first and ended ones included, as the issuer lists them: the first page
     * for an empty {@code pageToken}, else the page after the one that answered it; {@code next_page_token} is set
     * when there are older ones.
     */
    public Uni<ListSessionsResponse> sessions(ConsoleAuth.Operator operator, String subject, String pageToken) {
        return Uni.createFrom().deferred(() -> as(MutinyTokenIssuerGrpc.newMutinyStub(issuerChannel()), operator)
                        .listSessions(ListSessionsRequest.newBuilder().setSubject(subject).setIncludeEnded(true)
                                .setPageSize(SESSIONS_PAGE).setPageToken(pageToken == null ? "" : pageToken).build()))
                .onFailure().transform(f -> ConsoleFailure.fromGrpc("issuer", f));
    }

    /** Ends one session through the issuer (which revokes it through the revocation service, so every node learns of it). */
    public Uni<EndSessionResponse> endSession(ConsoleAuth.Operator operator, String sessionId, String reason) {
        return Uni.createFrom().deferred(() -> as(MutinyTokenIssuerGrpc.newMutinyStub(issuerChannel()), operator)
                        .endSession(EndSessionRequest.newBuilder().setSessionId(sessionId).setReason(reason).build()))
                .onFailure().transform(f -> ConsoleFailure.fromGrpc("issuer", f));
    }

    /**
     * Ends every active session of the subject in one issuer call (EndSubjectSessions), however many there are; the
     * answer counts them and holds the newest 500.
     */
    public Uni<EndSubjectSessionsResponse> endAll(ConsoleAuth.Operator operator, String subject, String reason) {
        return Uni.createFrom().deferred(() -> as(MutinyTokenIssuerGrpc.newMutinyStub(issuerChannel()), operator)
                        .endSubjectSessions(EndSubjectSessionsRequest.newBuilder().setSubject(subject).setReason(reason).build()))
                .onFailure().transform(f -> ConsoleFailure.fromGrpc("issuer", f));
    }

    /** Revokes with one rule (the revocation service checks {@code revocation:write} on the operator's token). */
    public Uni<RevokeResponse> revoke(ConsoleAuth.Operator operator, RevocationRule rule) {
        return Uni.createFrom().deferred(() -> as(MutinyRevocationGrpc.newMutinyStub(revocationChannel()), operator)
                        .revoke(RevokeRequest.newBuilder().setRule(rule).build()))
                .onFailure().transform(f -> ConsoleFailure.fromGrpc("revocation service", f));
    }

    /** Every live rule counted by kind, the newest {@value #NEWEST_RULES} of them, and the feed's sequence, from {@code Snapshot}. */
    public Uni<RuleSummary> rules(ConsoleAuth.Operator operator) {
        return as(MutinyRevocationGrpc.newMutinyStub(revocationChannel()), operator).withDeadlineAfter(deadline.toMillis() * 4, TimeUnit.MILLISECONDS)
                .snapshot(SnapshotRequest.getDefaultInstance())
                .collect().in(RuleSummary::new, RuleSummary::add)
                .onFailure().transform(f -> ConsoleFailure.fromGrpc("revocation service", f));
    }

    /** What a snapshot held, bounded: counts by kind, the newest rules, the highest sequence. */
    public static final class RuleSummary {
        final Map<RuleKind, Long> counts = new EnumMap<>(RuleKind.class);
        private final PriorityQueue<RevocationRule> newest = new PriorityQueue<>(Comparator.comparingLong(RevocationRule::getSequence));
        long sequence;
        long total;

        void add(SnapshotResponse response) {
            sequence = Math.max(sequence, response.getSequence());
            if (!response.hasRule()) {
                return;
            }
            RevocationRule rule = response.getRule();
            sequence = Math.max(sequence, rule.getSequence());
            total++;
            counts.merge(rule.getKind(), 1L, Long::sum);
            newest.add(rule);
            if (newest.size() > NEWEST_RULES) {
                newest.poll();
            }
        }

        /** The newest rules, newest first. */
        List<RevocationRule> newest() {
            List<RevocationRule> rules = new ArrayList<>(newest);
            rules.sort(Comparator.comparingLong(RevocationRule::getSequence).reversed());
            return rules;
        }
    }

    private ManagedChannel issuerChannel() {
        return issuer.channel().orElseThrow(() -> new ConsoleFailure(ErrorKind.NOT_CONFIGURED,
                "sessions are not available: no issuer configured (lifespan.audit.console.issuer-target)"));
    }

    private ManagedChannel revocationChannel() {
        return revocation.channel().orElseThrow(() -> new ConsoleFailure(ErrorKind.NOT_CONFIGURED,
                "revocations are not available: no revocation service configured (lifespan.audit.revocation.target)"));
    }

    private <S extends AbstractStub<S>> S as(S stub, ConsoleAuth.Operator operator) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + operator.token());
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }
}
