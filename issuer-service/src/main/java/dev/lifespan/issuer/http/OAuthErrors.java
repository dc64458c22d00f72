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
        Map<String, String> body = new LinkedHashMap<>();
        body.put("error", error.kind().oauthCode());
        body.put("error_description", error.getMessage());
        Response.ResponseBuilder response = Response.status(error.kind().httpStatus())
                .entity(body)
                .type("application/json")
                .header("Cache-Control", "no-store")
                .header("Pragma", "no-cache");
        if (error.kind() == ErrorKind.INVALID_CLIENT) {
            response.header("WWW-Authenticate", "Basic realm=\"lifespan\", charset=\"UTF-8\"");
        }
        if (error.retryAfter() != null) {
            response.header("Retry-After", Math.max(1, error.retryAfter().toSeconds()));
        }
        return response.build();
    }
}
