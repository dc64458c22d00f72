package dev.lifespan.revocation.grpc;

import dev.lifespan.api.v1.RevocationGrpc;
import dev.lifespan.revocation.config.RevocationConfig;
import dev.lifespan.revocation.validation.ValidatorRuntime;
import dev.lifespan.support.error.GrpcErrors;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.guard.BearerAuthenticator;
import dev.lifespan.validator.guard.BearerTokenInterceptor;
import dev.lifespan.validator.guard.OutcomeCounter;
import dev.lifespan.validator.guard.ValidationMetrics;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Caller authentication on the {@code lifespan.v1.Revocation} service (CONTRACT section 11): the
 * write RPCs need a Lifespan service token for {@code lifespan.revocation.caller-auth.audience}
 * carrying {@value #WRITE_SCOPE}; the read RPCs stay open, because every validating node reads the
 * feed without credentials (the network, NetworkPolicy or mTLS, is what protects them).
 *
 * <p>The decision is the validator library's {@link BearerTokenInterceptor}, on the validator this
 * service already runs for {@code TokenValidation} ({@link ValidatorRuntime}): the same signature,
 * expiry and revocation checks every node makes, so a caller whose client, subject or token has
 * been revoked through this very service is refused. Outcomes are counted by reason in
 * {@code lifespan_token_validations_total{outcome}}.
 *
 * <p>That validator is built after start-up, once its revocation feed is in step; until then the write RPCs answer
 * {@code UNAVAILABLE} with a retry delay: the caller's token may be perfectly good, the service just cannot tell yet.
 * When the feed later falls behind (Redis unreachable), callers are still checked against the rules held for
 * {@code caller-auth.feed-outage-tolerance} ({@link ValidatorRuntime#callerValidator}), since the rules are durable here
 * and recording one must not wait for Redis; after that the validator's {@code REVOCATION_FEED_STALE} is answered
 * {@code UNAVAILABLE}, never as a bad token. (Until 2026-12-05 every write RPC was refused 5 s into a Redis outage.)
 */
@Singleton
public class CallerAuthInterceptor implements ServerInterceptor {
    /** The scope {@code Revoke} and {@code RevokeBatch} require. */
    public static final String WRITE_SCOPE = "revocation:write";
    /** Read RPCs, open to validating nodes without a token. Any RPC not listed here needs a valid token. */
    static final Set<String> OPEN_METHODS = Set.of(
            RevocationGrpc.getCheckMethod().getFullMethodName(),
            RevocationGrpc.getSnapshotMethod().getFullMethodName(),
            RevocationGrpc.getSinceMethod().getFullMethodName());
    /** Scope each write RPC requires. */
    static final Map<String, String> REQUIRED_SCOPES = Map.of(
            RevocationGrpc.getRevokeMethod().getFullMethodName(), WRITE_SCOPE,
            RevocationGrpc.getRevokeBatchMethod().getFullMethodName(), WRITE_SCOPE);
    static final String STARTING = "caller authentication starting: revocation feed not in step";
    static final String NO_KEYS = "caller authentication unavailable: the issuer's keys have not been fetched yet";

    private final ValidatorRuntime runtime;
    private final boolean enabled;
    private final String audience;
    private final OutcomeCounter outcomes;
    /** The library interceptor for the runtime's current validator; built once, when that validator appears. */
    private volatile Guard guard;

    private record Guard(TokenValidator validator, BearerTokenInterceptor interceptor) {
    }

    public CallerAuthInterceptor(ValidatorRuntime runtime, RevocationConfig config, MeterRegistry registry) {
        this.runtime = runtime;
        this.enabled = config.callerAuth().enabled();
        this.audience = config.callerAuth().audience();
        this.outcomes = enabled ? new ValidationMetrics(registry) : OutcomeCounter.NONE;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!enabled || OPEN_METHODS.contains(call.getMethodDescriptor().getFullMethodName())) {
            return next.startCall(call, headers);
        }
        Optional<TokenValidator> validator = runtime.callerValidator();
        if (validator.isEmpty()) {
            return refuse(call, STARTING);
        }
        if (!runtime.holdsKeys()) {
            return refuse(call, NO_KEYS);
        }
        return guard(validator.get()).interceptCall(call, headers, next);
    }

    private BearerTokenInterceptor guard(TokenValidator validator) {
        Guard current = guard;
        if (current == null || current.validator() != validator) {
            current = new Guard(validator, new BearerTokenInterceptor(new BearerAuthenticator(validator, outcomes), audience,
                    REQUIRED_SCOPES, OPEN_METHODS));
            guard = current;
        }
        return current.interceptor();
    }

    /** Closes the call with UNAVAILABLE and a one-second RetryInfo, in the service's error vocabulary. */
    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String description) {
        StatusRuntimeException status = GrpcErrors.toStatus(ServiceException.unavailable(description, Duration.ofSeconds(1)));
        call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
        return new ServerCall.Listener<>() { };
    }
}
