package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.CheckRequest;
import dev.lifespan.api.v1.CheckResponse;
import dev.lifespan.api.v1.Revocation;
import dev.lifespan.api.v1.RevokeBatchRequest;
import dev.lifespan.api.v1.RevokeBatchResponse;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.SinceRequest;
import dev.lifespan.api.v1.SinceResponse;
import dev.lifespan.api.v1.SnapshotRequest;
import dev.lifespan.api.v1.SnapshotResponse;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.revocation.rule.RuleMessages;
import dev.lifespan.revocation.rule.Revocations;
import io.quarkus.grpc.GrpcService;
import io.quarkus.grpc.RegisterInterceptor;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import java.util.List;

import static dev.lifespan.support.grpc.GrpcCalls.call;
import static dev.lifespan.support.grpc.GrpcCalls.stream;

/**
 * The {@code lifespan.v1.Revocation} gRPC service: hands each call to {@link Revocations} and maps failures in one place.
 * {@link CallerAuthInterceptor} has already required a {@code revocation:write} service token on the write RPCs.
 */
@GrpcService
@RegisterInterceptor(CallerAuthInterceptor.class)
public class RevocationEndpoint implements Revocation {
    private final Revocations revocations;

    public RevocationEndpoint(Revocations revocations) {
        this.revocations = revocations;
    }

    @Override
    public Uni<RevokeResponse> revoke(RevokeRequest request) {
        return call(() -> {
            if (!request.hasRule()) {
                throw ServiceException.invalidField("rule", "is required");
            }
            return revocations.revoke("rule", List.of(request.getRule()), false)
                    .map(rules -> RevokeResponse.newBuilder().setRule(RuleMessages.message(rules.get(0))).build());
        });
    }

    @Override
    public Uni<RevokeBatchResponse> revokeBatch(RevokeBatchRequest request) {
        return call(() -> revocations.revoke("rules", request.getRulesList(), true)
                .map(rules -> RevokeBatchResponse.newBuilder().addAllRules(rules.stream().map(RuleMessages::message).toList()).build()));
    }

    @Override
    public Uni<CheckResponse> check(CheckRequest request) {
        return call(() -> revocations.check(request));
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
}
