package dev.lifespan.revocation.grpc;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.TokenClaims;
import dev.lifespan.api.v1.TokenValidation;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.api.v1.ValidateResponse;
import dev.lifespan.api.v1.ValidationFailure;
import dev.lifespan.revocation.validation.ValidateOutcomes;import dev.lifespan.revocation.validation.ValidatorRuntime;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.support.input.Inputs;
import dev.lifespan.support.input.ProtoTime;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import dev.lifespan.validator.VerifiedClaims;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

import static dev.lifespan.support.grpc.GrpcCalls.call;

/**
 * The {@code lifespan.v1.TokenValidation} gRPC service: the validator library's pipeline for callers
 * that cannot embed it. Blocking, since an unknown {@code kid} may refetch the JWKS.
 */
@GrpcService
public class TokenValidationEndpoint implements TokenValidation {
    static final int MAX_TOKEN_CHARS = 8192;
    static final int MAX_AUDIENCE_CHARS = 255;

    private final ValidatorRuntime validation;
    private final ValidateOutcomes outcomes;

    public TokenValidationEndpoint(ValidatorRuntime validation, ValidateOutcomes outcomes) {
        this.validation = validation;
        this.outcomes = outcomes;
    }

    @Override
    @Blocking
    public Uni<ValidateResponse> validate(ValidateRequest request) {
        return call(() -> Uni.createFrom().item(answer(request)));
    }

    /**
     * The validator's answer. A token this node cannot check now, because its revocation feed is stale, is an
     * outage (UNAVAILABLE with a retry delay, reason {@code REVOCATION_FEED_STALE} in the message), not an invalid
     * token: a caller that turned it into a 401 would tell its user their credentials are bad.
     */
    private ValidateResponse answer(ValidateRequest request) {
        String token = Inputs.required("token", request.getToken(), MAX_TOKEN_CHARS);
        String audience = Inputs.required("expected_audience", request.getExpectedAudience(), MAX_AUDIENCE_CHARS);
        if (!validation.configured()) {
            throw new ServiceException(ErrorKind.NOT_CONFIGURED, "token validation is not configured on this service");
        }
        TokenValidator validator = validation.validator().orElseThrow(() -> ServiceException.unavailable(
                "token validation is starting: the revocation feed is not in step yet", Duration.ofSeconds(1)));
        if (!validation.holdsKeys()) {
            throw ServiceException.unavailable("token validation unavailable: the issuer's keys have not been fetched yet", Duration.ofSeconds(1));
        }
        ValidationResult result = validator.validate(token, audience);
        if (result.isValid()) {
            outcomes.valid();
            return ValidateResponse.newBuilder().setValid(true).setClaims(claims(result.claims())).build();
        }
        outcomes.failed(result.failure());
        if (result.failure() == ValidationFailure.REVOCATION_FEED_STALE) {
            throw ServiceException.unavailable("REVOCATION_FEED_STALE: " + result.detail(), Duration.ofSeconds(1));
        }
        return ValidateResponse.newBuilder().setValid(false).setFailure(result.failure()).build();
    }

    static TokenClaims claims(VerifiedClaims c) {
        TokenClaims.Builder b = TokenClaims.newBuilder();
        set(c.issuer(), b::setIssuer);
        set(c.subject(), b::setSubject);
        if (c.audience() != null) {
            b.addAllAudience(c.audience());
        }
        time(c.expiresAt(), b::setExpiresAt);
        time(c.issuedAt(), b::setIssuedAt);
        time(c.notBefore(), b::setNotBefore);
        set(c.tokenId(), b::setTokenId);
        set(c.sessionId(), b::setSessionId);
        set(c.clientId(), b::setClientId);
        if (c.scopes() != null) {
            b.addAllScopes(c.scopes());
        }
        time(c.authTime(), b::setAuthTime);
        set(c.acr(), b::setAcr);
        if (c.amr() != null) {
            b.addAllAmr(c.amr());
        }
        if (c.roles() != null) {
            b.addAllRoles(c.roles());
        }
        set(c.keyId(), b::setKeyId);
        return b.build();
    }

    private static void set(String value, Consumer<String> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    private static void time(Instant value, Consumer<Timestamp> setter) {
        if (value != null) {
            setter.accept(ProtoTime.timestamp(value));
        }
    }
}
