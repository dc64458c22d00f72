package dev.lifespan.issuer.http;

import dev.lifespan.support.error.ErrorKind;
import dev.lifespan.support.error.Failures;
import dev.lifespan.support.error.ServiceException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place an error becomes an OAuth2 HTTP response (RFC 6749 section 5.2): JSON
 * {@code error} and {@code error_description}, {@code Cache-Control: no-store}, 401 with
 * {@code WWW-Authenticate} for {@code invalid_client}, {@code Retry-After} for 429 and 503.
 */
public final class OAuthErrors {
    private static final Logger LOG = Logger.getLogger(OAuthErrors.class);

    private OAuthErrors() {
    }

    public static Response toResponse(Throwable failure) {
        ServiceException error = Failures.classify(failure);
        if (error.kind() == ErrorKind.SERVER_ERROR) {
            LOG.error("Unexpected failure answering an OAuth2 request", failure);
        }
        Response.ResponseBuilder response = response(error.kind().httpStatus(), error.kind().oauthCode(), error.getMessage());
        if (error.kind() == ErrorKind.INVALID_CLIENT) {
            response.header("WWW-Authenticate", "Basic realm=\"lifespan\", charset=\"UTF-8\"");
        }
        if (error.retryAfter() != null) {
            response.header("Retry-After", Math.max(1, error.retryAfter().toSeconds()));
        }
        return response.build();
    }

    /**
     * A request refused before any endpoint ran (wrong method or media type, {@link UnmatchedRequests}): the status as
     * HTTP has it, with an {@code invalid_request} body saying why.
     */
    static Response.ResponseBuilder invalidRequest(int status, String description) {
        return response(status, ErrorKind.INVALID_REQUEST.oauthCode(), description);
    }

    private static Response.ResponseBuilder response(int status, String code, String description) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", code);
        body.put("error_description", description);
        return Response.status(status)
                .entity(body)
                .type("application/json")
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache");
    }
}
