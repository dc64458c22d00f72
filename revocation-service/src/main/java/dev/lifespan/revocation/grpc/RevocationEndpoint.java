package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.CheckResponse;
import dev.lifespan.api.v1.Revocation;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeBatchResponse;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.revocation.rule.RuleMessages;
import dev.lifespan.revocation.rule.RuleRequest;
import dev.lifespan.revocation.service.RevocationService;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.validator.VerifiedClaims;
import dev.lifespan.validator.guard.BearerTokenInterceptor;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.ArrayList;
import java.util.List;

import static dev.lifespan.support.grpc.GrpcCalls.call;
import static dev.lifespan.support.grpc.GrpcCalls.stream;

/**
 * The {@code lifespan.v1.Revocation} gRPC service: hands each call to {@link RevocationService} and maps failures in one place.
 * {@link CallerAuthInterceptor} has already required a {@code revocation:write} service token on the write RPCs.
 */
@GrpcService
@RegisterInterceptor(CallerAuthInterceptor.class)
public class RevocationEndpoint implements Revocation {
    private final RevocationService revocations;

    public RevocationEndpoint(RevocationService revocations) {
        this.revocations = revocations;
    }

    @Override
    public Uni<RevokeResponse> revoke(RevokeRequest request) {
        return call(() -> {
            if (!request.hasRule()) {
                throw ServiceException.invalidField("rule", "is required");
            }
            return revocations.revoke("rule", List.of(ruleRequest("rule", request.getRule())), false, caller())
                    .map(rules -> RevokeResponse.newBuilder().setRule(RuleMessages.message(rules.get(0))).build());
        });
    }

    @Override
    public Uni<RevokeBatchResponse> revokeBatch(RevokeBatchRequest request) {
        return call(() -> revocations.revoke("rules", ruleRequests(request.getRulesList()), true, caller())
                .map(rules -> RevokeBatchResponse.newBuilder().addAllRules(rules.stream().map(RuleMessages::message).toList()).build()));
    }

    @Override
    public Uni<CheckResponse> check(CheckRequest request) {
        return call(() -> revocations.check(new RevocationService.TokenIdentifiers(request.getTokenId(), request.getSessionId(),
                        request.getSubject(), request.getClientId(), request.getKeyId(),
                        ProtoTime.instant("issued_at", request.hasIssuedAt(), request.getIssuedAt())))
                .map(rule -> rule.map(r -> CheckResponse.newBuilder().setRevoked(true).setRule(RuleMessages.message(r)).build())
                        .orElseGet(() -> CheckResponse.newBuilder().setRevoked(false).build())));
    }

    @Override
    public Multi<SnapshotResponse> snapshot(SnapshotRequest request) {
        return stream(() -> revocations.snapshot().onItem().transformToMulti(snapshot -> Multi.createBy().concatenating().streams(
                Multi.createFrom().iterable(snapshot.rules())
                        .map(rule -> SnapshotResponse.newBuilder().setRule(RuleMessages.message(rule)).build()),
                Multi.createFrom().item(SnapshotResponse.newBuilder().setComplete(true).setSequence(snapshot.sequence()).build()))));
    }

    @Override
    public Multi<SinceResponse> since(SinceRequest request) {
        return stream(() -> revocations.since(request.getAfterSequence(), request.getLimit())
                .map(rule -> SinceResponse.newBuilder().setRule(RuleMessages.message(rule)).build()));
    }

    /** The client whose service token {@link CallerAuthInterceptor} let this write through; null when caller auth is off. */
    private static String caller() {
        VerifiedClaims claims = BearerTokenInterceptor.caller();
        return claims == null ? null : claims.clientId() != null ? claims.clientId() : claims.subject();
    }

    /** The rules of a batch read off the wire; each field named by its index. */
    private static List<RuleRequest> ruleRequests(List<RevocationRule> rules) {
        List<RuleRequest> requests = new ArrayList<>(rules.size());
        for (int i = 0; i < rules.size(); i++) {
            requests.add(ruleRequest("rules[" + i + "]", rules.get(i)));
        }
        return requests;
    }

    /** One rule read off the wire: an unknown kind and an invalid time are refused here, naming the field. */
    static RuleRequest ruleRequest(String field, RevocationRule rule) {
        return new RuleRequest(Inputs.enumValue(field + ".kind", rule.getKindValue(), RuleKind::forNumber, false), rule.getValue(),
                ProtoTime.instant(field + ".not_before", rule.hasNotBefore(), rule.getNotBefore()),
                ProtoTime.instant(field + ".expires_at", rule.hasExpiresAt(), rule.getExpiresAt()), rule.getReason());
    }
}
