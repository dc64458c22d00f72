package dev.lifespan.support.error;

import io.grpc.Status;

/**
 * Lifespan's one error vocabulary, shared by every service: each kind carries its RFC 6749 (or
 * RFC 6750 / RFC 9470) error code, its HTTP status and its gRPC status code. {@link GrpcErrors}
 * and each service's HTTP error mapping turn a {@link ServiceException} into a wire response from
 * here, and nowhere else.
 */
public enum ErrorKind {
    INVALID_REQUEST("invalid_request", 400, Status.Code.INVALID_ARGUMENT),
    INVALID_CLIENT("invalid_client", 401, Status.Code.UNAUTHENTICATED),
    INVALID_GRANT("invalid_grant", 400, Status.Code.FAILED_PRECONDITION),
    UNAUTHORIZED_CLIENT("unauthorized_client", 400, Status.Code.PERMISSION_DENIED),
    UNSUPPORTED_GRANT_TYPE("unsupported_grant_type", 400, Status.Code.INVALID_ARGUMENT),
    UNSUPPORTED_TOKEN_TYPE("unsupported_token_type", 400, Status.Code.INVALID_ARGUMENT),
    INVALID_SCOPE("invalid_scope", 400, Status.Code.INVALID_ARGUMENT),
    INSUFFICIENT_SCOPE("insufficient_scope", 403, Status.Code.PERMISSION_DENIED),
    INSUFFICIENT_USER_AUTHENTICATION("insufficient_user_authentication", 400, Status.Code.PERMISSION_DENIED),
    NOT_CONFIGURED("not_configured", 501, Status.Code.FAILED_PRECONDITION),
    NOT_FOUND("not_found", 404, Status.Code.NOT_FOUND),
    RATE_LIMITED("rate_limited", 429, Status.Code.RESOURCE_EXHAUSTED),
    UNAVAILABLE("temporarily_unavailable", 503, Status.Code.UNAVAILABLE),
    SERVER_ERROR("server_error", 500, Status.Code.INTERNAL);

    private final String oauthCode;
    private final int httpStatus;
    private final Status.Code grpcCode;

    ErrorKind(String oauthCode, int httpStatus, Status.Code grpcCode) {
        this.oauthCode = oauthCode;
        this.httpStatus = httpStatus;
        this.grpcCode = grpcCode;
    }

    public String oauthCode() {
        return oauthCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public Status.Code grpcCode() {
        return grpcCode;
    }
}
