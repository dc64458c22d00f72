package dev.lifespan.audit.revocation;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.api.v1.RevocationRule;
import dev.lifespan.api.v1.RevokeRequest;
import dev.lifespan.api.v1.RevokeResponse;
import dev.lifespan.api.v1.RuleKind;
import dev.lifespan.audit.config.AuditConfig;
import dev.lifespan.support.auth.ClientCredentialsToken;
import dev.lifespan.support.auth.ServiceToken;
import dev.lifespan.validator.guard.GrpcErrorStatus;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What an anomaly rule set to {@code revoke-session} or {@code revoke-subject} does: one {@code Revocation.Revoke} call
 * with the audit service's own {@code revocation:write} token, retried with a short backoff, or after the delay the
 * revocation service asks for when it is longer (its {@code RetryInfo}: it answers UNAVAILABLE with one second while,
 * for instance, it has not yet fetched the issuer's keys; at most {@link #LONGEST_ADVISED_WAIT} is waited). The answer
 * is an {@link Outcome}: a sentence for the alert's {@code action_taken}, success or not, and whether a failure is worth
 * trying again later (the revocation service or the issuer unreachable) rather than final (the request refused). An
 * alert is never held back by a failed revocation beyond its attempts; {@code RevocationRetries} tries again later.
 */
@Singleton
public class AutomaticRevocation {
    private static final Logger LOG = Logger.getLogger(AutomaticRevocation.class);
    /** What the audit service's own token may do. */
    public static final String SCOPE = "revocation:write";
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** The longest wait between attempts that a revocation service's retry advice can ask for. */
    static final Duration LONGEST_ADVISED_WAIT = Duration.ofSeconds(10);

    private final RevocationChannel channel;
    /** The audit service's own revocation:write token; empty when no client credentials are configured. */
    private final Optional<ServiceToken> credential;
    private final AuditConfig.Revocation settings;

    public AutomaticRevocation(RevocationChannel channel, AuditConfig config, InstantSource clock) {
        this.channel = channel;
        this.settings = config.revocation();
        this.credential = settings.credentials(SCOPE, config.callerAuth().tls().client()).map(s -> new ClientCredentialsToken(s, clock));
    }

    /**
     * Obtains the service token at start-up (retrying while the issuer starts too), so the first alert that revokes
     * does not wait for the issuer.
     */
    void onStart(@Observes StartupEvent event) {
        credential.ifPresent(token -> token.token().onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(10)).atMost(30)
                .subscribe().with(ignored -> { },
                failure -> LOG.warnf("No revocation:write token yet (%s); automatic revocations will ask again", failure.getMessage())));
    }

    /** What a revocation came to. */
    public record Outcome(Result result, String actionTaken) {
    }

    /** Made; not made and not worth trying again (refused, or nothing configured to make it with); or worth trying later. */
    public enum Result {
        REVOKED, NOT_REVOKED, TRY_LATER
    }

    /** Revokes every token of a session ({@code RULE_KIND_SESSION}) or a subject ({@code RULE_KIND_SUBJECT}, issued before now). */
    public Uni<Outcome> revoke(RuleKind kind, String value, String reason) {
        String what = (kind == RuleKind.RULE_KIND_SESSION ? "session " : "subject ") + value;
        if (channel.channel().isEmpty()) {
            return Uni.createFrom().item(new Outcome(Result.NOT_REVOKED,
                    "not revoked: no revocation service configured (lifespan.audit.revocation.target)"));
        }
        if (credential.isEmpty()) {
            return Uni.createFrom().item(new Outcome(Result.NOT_REVOKED,
                    "not revoked: no client credentials configured (lifespan.audit.revocation.token-url and client-secret)"));
        }
        RevokeRequest request = RevokeRequest.newBuilder().setRule(RevocationRule.newBuilder().setKind(kind).setValue(value)
                .setReason(reason.length() > 256 ? reason.substring(0, 256) : reason)).build();
        return attempt(request, what, 1);
    }

    /**
     * True when a revocation that failed this way may succeed later: everything but the revocation service refusing the
     * request itself (its value, the audit service's permission, or a method it does not have), which no retry changes.
     */
    static boolean worthRetrying(Throwable failure) {
        if (!(failure instanceof StatusRuntimeException status)) {
            return true;   // the issuer's token endpoint or the connection: an outage, or a secret an operator can mend
        }
        return switch (status.getStatus().getCode()) {
            case INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED -> false;
            default -> true;
        };
    }

    private Uni<Outcome> attempt(RevokeRequest request, String what, int attempt) {
        ServiceToken token = credential.orElseThrow();
        return token.discardIfRefused(token.token().chain(value -> call(request, value)))
                .map(response -> new Outcome(Result.REVOKED, what + " revoked (revocation sequence " + response.getRule().getSequence() + ")"))
                .onFailure().recoverWithUni(failure -> {
                    String why = failure instanceof StatusRuntimeException s ? s.getStatus().getCode() + " " + s.getStatus().getDescription()
                            : failure.getMessage();
                    if (attempt >= settings.attempts() || !worthRetrying(failure)) {
                        LOG.errorf("Automatic revocation of %s failed after %d attempts: %s", what, attempt, why);
                        return Uni.createFrom().item(new Outcome(worthRetrying(failure) ? Result.TRY_LATER : Result.NOT_REVOKED,
                                "revoking " + what + " failed after " + attempt + (attempt == 1 ? " attempt: " : " attempts: ") + why));
                    }
                    Duration backoff = Duration.ofMillis(100L << (2 * (attempt - 1)));
                    Duration advised = GrpcErrorStatus.retryDelay(failure);
                    Duration wait = advised == null || advised.compareTo(backoff) <= 0 ? backoff
                            : advised.compareTo(LONGEST_ADVISED_WAIT) > 0 ? LONGEST_ADVISED_WAIT : advised;
                    LOG.warnf("Automatic revocation of %s failed (attempt %d): %s; retrying in %d ms", what, attempt, why, wait.toMillis());
                    return Uni.createFrom().nullItem().onItem().delayIt().by(wait).chain(() -> attempt(request, what, attempt + 1));
                });
    }

    /** The longest one {@link #revoke} can take: every attempt's deadline and the longest wait between attempts. */
    public Duration longest() {
        return settings.deadline().multipliedBy(2).plus(LONGEST_ADVISED_WAIT).multipliedBy(settings.attempts());
    }

    private Uni<RevokeResponse> call(RevokeRequest request, String token) {
        Metadata headers = new Metadata();
        headers.put(AUTHORIZATION, "Bearer " + token);
        RevocationGrpc.RevocationFutureStub stub = RevocationGrpc.newFutureStub(channel.channel().orElseThrow())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(settings.deadline().toMillis(), TimeUnit.MILLISECONDS);
        com.google.common.util.concurrent.ListenableFuture<RevokeResponse> future = stub.revoke(request);
        return Uni.createFrom().emitter(emitter -> future.addListener(() -> {
            try {
                emitter.complete(future.get());
            } catch (java.util.concurrent.ExecutionException e) {
                emitter.fail(e.getCause());
            } catch (InterruptedException | java.util.concurrent.CancellationException e) {
                emitter.fail(e);
            }
        }, Runnable::run));
    }
}
