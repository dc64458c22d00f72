package dev.lifespan.revocation.validation;

import com.google.protobuf.Timestamp;
import dev.lifespan.api.v1.TokenClaims;
import dev.lifespan.api.v1.TokenValidation;
import dev.lifespan.api.v1.ValidateRequest;
import dev.lifespan.api.v1.ValidateResponse;
import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.GrpcErrors;
import dev.lifespan.support.error.ServiceException;
import dev.lifespan.validator.TokenValidator;
import dev.lifespan.validator.ValidationResult;
import dev.lifespan.validator.VerifiedClaims;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;

import java.time.Instant;

/**
 * The {@code lifespan.v1.TokenValidation} gRPC service: the validator library's pipeline for callers
 * that cannot embed it. Blocking, since an unknown {@code kid} may refetch the JWKS.
 */
@GrpcService
public class TokenValidationEndpoint implements TokenValidation {
    static final int MAX_TOKEN_CHARS = 8192;
    static final int MAX_AUDIENCE_CHARS = 255;

    private final ValidatorRuntime validation;

    public TokenValidationEndpoint(ValidatorRuntime validation) {
        this.validation = validation;
    }

    @Override
    @Blocking
    public Uni<ValidateResponse> validate(ValidateRequest request) {
        try {
            return Uni.createFrom().item(answer(request));
        } catch (RuntimeException e) {
            return Uni.createFrom().failure(GrpcErrors.toStatus(e));
        }
    }

    private ValidateResponse answer(ValidateRequest request) {
        require("token", request.getToken(), MAX_TOKEN_CHARS);
        require("expected_audience", request.getExpectedAudience(), MAX_AUDIENCE_CHARS);
        if (!validation.configured()) {
            throw new ServiceException(ErrorKind.NOT_CONFIGURED, "token validation is not configured");
        }
        TokenValidator validator = validation.validator().orElseThrow(
                () -> ServiceException.unavailable("token validation (revocation feed starting)", null));
        ValidationResult result = validator.validate(request.getToken(), request.getExpectedAudience());
        if (!result.isValid()) {
            return ValidateResponse.newBuilder().setValid(false).setFailure(result.failure()).build();
        }
        return ValidateResponse.newBuilder().setValid(true).setClaims(claims(result.claims())).build();
    }

    private static void require(String field, String value, int maxChars) {
        if (value.isEmpty()) {
            throw ServiceException.invalidField(field, "required");
        }
        if (value.length() > maxChars) {
            throw ServiceException.invalidField(field, "at most " + maxChars + " characters");
        }
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

    private static void set(String value, java.util.function.Consumer<String> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    private static void time(Instant value, java.util.function.Consumer<Timestamp> setter) {
        if (value != null) {
            setter.accept(Timestamp.newBuilder().setSeconds(value.getEpochSecond()).setNanos(value.getNano()).build());
        }
    }
}
